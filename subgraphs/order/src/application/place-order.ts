/**
 * Placing an order: hold its stock, take payment. In a rush, a sold-out product is refused at once
 * (one write, no call to stock or payment); the rest wait their turn in the admission gate, and one
 * that cannot start in time is refused with TOO_BUSY having done nothing, so a retry with the same
 * key is always safe.
 */
import { AdmissionGate, AdmissionRefused } from '../../../../lib/admission-gate.js';
import { requireRole, type Viewer } from '../../../../lib/auth.js';
import { fromDraft } from '../../../../lib/events.js';
import type { OutboxRelay } from '../../../../lib/outbox.js';
import type { StockClient } from '../clients/stock.client.js';
import { isPublic, type Order, type OrderLine } from '../domain/order.js';
import { abandonPlacement, rejectOutOfStock } from '../domain/order-transitions.js';
import { isSamePlacement, MAX_ORDER_TOTAL, validateOrderRequest, type OrderRequest, type PlaceOrderInput } from '../domain/place-order.js';
import { OrderErrors } from '../errors.js';
import type { OrderSettings } from '../settings.js';
import { OrderStore, type NewOrder } from '../store/order.store.js';
import type { Catalogue, Claim } from './catalogue.js';
import type { OrderChanges } from './order-changes.js';
import type { PaymentSettlement } from './payment-settlement.js';

export class PlaceOrder {
  /** Admission control in front of the calls to stock and payment (see `OrderSettings.placements`). */
  private readonly placements: AdmissionGate;

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
  }

  /** Places an order, or answers with the order its idempotency key placed before. */
  async place(viewer: Viewer | null, input: PlaceOrderInput, requestId?: string): Promise<Order> {
    const customer = requireRole(viewer, 'CUSTOMER');
    const request = validateOrderRequest(input);
    // A replay answers with its order, even while stock is down or the bakery is busy.
    const existing = await this.orders.findByKey(customer.id, request.idempotencyKey);
    if (existing) return this.settled(this.sameOrConflict(existing, request));

    const lines = await this.priceLines(request, requestId);
    const claim = this.catalogue.claim(lines);
    if (!claim) return this.refuseSoldOut(customer.id, request, lines);
    try {
      return await this.placements.run(() => this.placeAdmitted(customer.id, request, lines, claim, requestId));
    } catch (error) {
      if (error instanceof AdmissionRefused) throw OrderErrors.tooBusy(error.retryAfterMs);
      throw error;
    } finally {
      claim.release();
    }
  }

  /** Stops admitting placements (shutdown); those already running finish. */
  stopPlacing(): void {
    this.placements.close();
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

  /** A sold-out order is decided before it is written: REJECTED, with its event, in one insert. */
  private async refuseSoldOut(customerId: string, request: OrderRequest, lines: OrderLine[]): Promise<Order> {
    const order = { ...this.newOrder(customerId, request, lines), id: OrderStore.newId() };
    const { to, set, history, events: drafts } = rejectOutOfStock(order, new Date());
    const events = drafts.map(fromDraft);
    const refused = await this.orders.insertDecided(order, { status: to, set, history, events });
    if (!refused) return this.twinOf(customerId, request);
    this.relay.flushInBackground(refused.id, events);
    return refused;
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
    await this.orders.change(order.id, from, { status: to, set, events: events.map(fromDraft) });
    await this.relay.flushSoon(order.id);
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
