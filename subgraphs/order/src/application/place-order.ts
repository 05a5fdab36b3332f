/**
 * Placing an order: hold its stock, take payment. In a rush, a sold-out product is refused at once
 * (one write shared with the other refusals of the moment, no call to stock or payment); the rest wait their turn in the admission gate, and one
 * that cannot start in time is refused with TOO_BUSY having done nothing, so a retry with the same
 * key is always safe.
 */
import { AdmissionGate, AdmissionRefused } from '../../../../lib/admission-gate.js';
import { requireRole, type Viewer } from '../../../../lib/auth.js';
import { fromDraft } from '../../../../lib/events.js';
import { GroupCommit } from '../../../../lib/group-commit.js';
import type { OutboxRelay } from '../../../../lib/outbox.js';
import type { StockClient } from '../clients/stock.client.js';
import { isPublic, type Order, type OrderLine } from '../domain/order.js';
import { abandonPlacement, rejectOutOfStock } from '../domain/order-transitions.js';
import { isSamePlacement, MAX_ORDER_TOTAL, validateOrderRequest, type OrderRequest, type PlaceOrderInput } from '../domain/place-order.js';
import { OrderErrors } from '../errors.js';
import type { OrderSettings } from '../settings.js';
import { OrderStore, type DecidedOrder, type NewOrder } from '../store/order.store.js';
import type { Catalogue, Claim } from './catalogue.js';
import type { OrderChanges } from './order-changes.js';
import type { PaymentSettlement } from './payment-settlement.js';

/** What one write to the store (and answering) is given before a caller's deadline. */
const REFUSAL_MS = 1_000;

/** Most refusals in one insert: a few tens of kilobytes. */
const REFUSALS_PER_WRITE = 200;

export class PlaceOrder {
  /** Admission control in front of the calls to stock and payment (see `OrderSettings.placements`). */
  private readonly placements: AdmissionGate;
  /**
   * The orders a sold-out product refuses, written many to a write: in a drop most customers are
   * refused within the same second, and one insert per refusal would crowd out the placements
   * that hold the last units. Bounded and timed like the placements: a refusal that cannot be
   * written in time is answered TOO_BUSY having written nothing.
   */
  private readonly refusals: GroupCommit<DecidedOrder, Order | null>;

  constructor(
    private readonly orders: OrderStore,
    private readonly stock: StockClient,
    private readonly payment: PaymentSettlement,
    private readonly catalogue: Catalogue,
    private readonly changes: OrderChanges,
    private readonly relay: OutboxRelay,
    private readonly settings: OrderSettings,
  ) {
    this.placements = new AdmissionGate(settings.placements);
    this.refusals = new GroupCommit({
      maxBatch: REFUSALS_PER_WRITE,
      // A refusal costs a few hundred bytes and no call elsewhere: at least one full write may wait.
      maxQueue: Math.max(settings.placements.maxQueue, REFUSALS_PER_WRITE),
      maxWaitMs: settings.placements.maxWaitMs,
      // Their events go into one outbox batch rather than each order's outbox (see insertWithEvents).
      write: (batch) =>
        relay.insertWithEvents(
          batch.map(({ order, change }) => ({ id: order.id, events: change.events })),
          () => orders.insertDecidedMany(batch),
        ),
    });
  }

  /**
   * Places an order, or answers with the order its idempotency key placed before. `deadline` is
   * when the caller gives up (lib/deadline.ts): nothing is started that could not be answered by
   * then, so a caller that was told "unavailable" never finds it placed after all.
   */
  async place(viewer: Viewer | null, input: PlaceOrderInput, requestId?: string, deadline: number | null = null): Promise<Order> {
    const customer = requireRole(viewer, 'CUSTOMER');
    const request = validateOrderRequest(input);
    // Waited too long before we saw it (a backlog in front of this process): refuse, having done
    // nothing, without even a look-up; a retry with the same key finds its order if there is one.
    if (deadline !== null && Date.now() > deadline - REFUSAL_MS) throw OrderErrors.tooBusy(this.settings.placements.maxWaitMs);
    try {
      return await this.placeNew(customer.id, request, requestId, deadline ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      // A replay answers with its order, even while stock is down or the bakery is busy. (Asked
      // only now: in a drop, a key seen before is rare, and the unique index answers it anyway.)
      const existing = await this.orders.findByKey(customer.id, request.idempotencyKey).catch(() => null);
      if (existing) return this.settled(this.sameOrConflict(existing, request));
      if (error instanceof AdmissionRefused) throw OrderErrors.tooBusy(error.retryAfterMs);
      throw error;
    }
  }

  private async placeNew(customerId: string, request: OrderRequest, requestId: string | undefined, deadline: number): Promise<Order> {
    const lines = await this.priceLines(request, requestId);
    const claim = this.catalogue.claim(lines);
    if (!claim) return this.refuseSoldOut(customerId, request, lines, deadline - REFUSAL_MS);
    try {
      // Start only in time to call stock and payment within their own timeouts before the deadline.
      const { stockTimeoutMs, paymentTimeoutMs } = this.settings;
      const startBy = deadline - stockTimeoutMs - paymentTimeoutMs - REFUSAL_MS;
      return await this.placements.run(() => this.placeAdmitted(customerId, request, lines, claim, requestId), startBy - Date.now());
    } finally {
      claim.release();
    }
  }

  /** Stops admitting placements (shutdown); those already running finish. */
  stopPlacing(): void {
    this.placements.close();
    this.refusals.close();
  }

  /** Known, active products at the catalogue's prices, checked before anything is written. */
  private async priceLines(request: OrderRequest, requestId?: string): Promise<OrderLine[]> {
    const catalogue = await this.catalogue.lookup(
      request.lines.map((line) => line.productId),
      requestId,
    );
    const lines = request.lines.map((line) => {
      const product = catalogue.get(line.productId);
      if (!product?.active) throw OrderErrors.productUnavailable(line.index, line.productId);
      return { productId: line.productId, name: product.name, quantity: line.quantity, unitPrice: product.price };
    });
    const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
    if (total > MAX_ORDER_TOTAL) throw OrderErrors.totalTooLarge(total);
    return lines;
  }

  private async placeAdmitted(customerId: string, request: OrderRequest, lines: OrderLine[], claim: Claim, requestId?: string): Promise<Order> {
    // The unique (customer, key) index settles a race between twins: one insert wins.
    const placed = await this.orders.insertPlaced(this.newOrder(customerId, request, lines));
    if (!placed) return this.twinOf(customerId, request);
    return this.holdAndPay(placed, claim, requestId);
  }

  /**
   * A sold-out order is decided before it is written: REJECTED, with its event, in one insert that
   * it shares with the other refusals of the moment (see `refusals`).
   */
  private async refuseSoldOut(customerId: string, request: OrderRequest, lines: OrderLine[], startBy: number): Promise<Order> {
    const order = { ...this.newOrder(customerId, request, lines), id: OrderStore.newId() };
    const { to, set, history, events } = rejectOutOfStock(order, new Date());
    const refused = await this.refusals.add({ order, change: { status: to, set, history, events: events.map(fromDraft) } }, startBy);
    return refused ?? this.twinOf(customerId, request);
  }

  private newOrder(customerId: string, request: OrderRequest, lines: OrderLine[]): NewOrder {
    return {
      customerId,
      idempotencyKey: request.idempotencyKey,
      lines,
      total: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0),
      fulfilment: request.fulfilment,
      deliveryAddress: request.deliveryAddress,
      paymentMethod: request.paymentMethod,
      paymentToken: request.paymentToken,
    };
  }

  /** A twin with the same key got there first: answer with its order. */
  private async twinOf(customerId: string, request: OrderRequest): Promise<Order> {
    const twin = await this.orders.findByKey(customerId, request.idempotencyKey);
    if (!twin) throw OrderErrors.stillPlacing();
    return this.settled(this.sameOrConflict(twin, request));
  }

  private async holdAndPay(order: Order, claim: Claim, requestId?: string): Promise<Order> {
    let reservation: Awaited<ReturnType<StockClient['reserve']>>;
    try {
      reservation = await this.stock.reserve(
        order.id,
        order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
        requestId,
      );
    } catch (error) {
      // Stock may or may not be held: give it back (idempotent) and let the customer try again.
      await this.abandon(order);
      throw error;
    }
    if (reservation.status !== 'HELD') {
      claim.release();
      const short = order.lines.find((line) => line.productId === reservation.rejectedProductId);
      if (reservation.reason === 'OUT_OF_STOCK' && short) this.catalogue.markShort(short.productId, short.quantity);
      return this.changes.applyOrRead(order.id, rejectOutOfStock(order, new Date()));
    }
    claim.held();
    // The prices the stock held are the prices of the order.
    const held = new Map(reservation.lines.map((line) => [line.productId, line]));
    const lines = order.lines.map((line) => ({ ...line, unitPrice: held.get(line.productId)?.unitPrice ?? line.unitPrice }));
    const priced = { ...order, lines, total: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) };

    const outcome = await this.payment.authorize(priced, requestId);
    return this.payment.settle(priced, 'PLACED', outcome, { lines: priced.lines, total: priced.total });
  }

  /** A placement that never reached a verdict: nothing is shown, and anything held goes back. */
  private async abandon(order: Order): Promise<void> {
    const { from, to, set, events } = abandonPlacement(order);
    const changed = await this.orders.change(order.id, from, { status: to, set, events: events.map(fromDraft) });
    await this.relay.flushSoon(order.id, changed?.pending);
  }

  /** Orders a dead process left in PLACED are abandoned by the workers' sweep. */
  async abandonStuck(olderThanMs: number): Promise<number> {
    const stuck = await this.orders.placedBefore(new Date(Date.now() - olderThanMs), 50);
    for (const order of stuck) await this.abandon(order);
    return stuck.length;
  }

  /** The order a repeat of the key found, if it is the order asked for; a reused key is a conflict. */
  private sameOrConflict(order: Order, request: OrderRequest): Order {
    if (!isSamePlacement(order, request)) throw OrderErrors.idempotencyKeyReused();
    return order;
  }

  /**
   * A twin of this placement may still be running: wait for its verdict, as long as a placement
   * may wait for its turn (so the answer still fits the gateway's deadline).
   */
  private async settled(order: Order): Promise<Order> {
    const deadline = Date.now() + this.settings.placements.maxWaitMs;
    let current: Order | null = order;
    while (current?.status === 'PLACED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await this.orders.find(order.id);
    }
    if (!current || !isPublic(current.status)) throw OrderErrors.stillPlacing();
    return current;
  }
}
