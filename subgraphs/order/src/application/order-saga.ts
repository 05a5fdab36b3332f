/**
 * The order saga: place an order (hold stock, take payment), then follow it through the kitchen
 * and out of the door, or end it early with its compensations. Every status change is one atomic
 * conditional update of the order document that also writes the events it causes to its outbox;
 * the relay publishes them. The same functions serve the GraphQL mutations and the queue handlers.
 */
import { AdmissionGate, AdmissionRefused } from '../../../../lib/admission-gate.js';
import { GroupCommit } from '../../../../lib/group-commit.js';
import { requireRole, type Viewer } from '../../../../lib/auth.js';
import { ErrorCode, isAppError } from '../../../../lib/errors.js';
import { newEvent, type OutboxEvent } from '../../../../lib/events.js';
import { parseObjectId } from '../../../../lib/ids.js';
import type { Logger } from '../../../../lib/logger.js';
import type { OutboxRelay } from '../../../../lib/outbox.js';
import type { DeliveryClient } from '../clients/delivery.client.js';
import type { PaymentClient, PaymentOutcome } from '../clients/payment.client.js';
import type { StockClient } from '../clients/stock.client.js';
import {
  isCancellableByCustomer,
  STAFF_REJECTABLE,
  isPublic,
  progressSteps,
  promiseTime,
  rejectionForDecline,
  type DeliveryStatus,
  type OrderStatus,
} from '../domain/order.js';
import { isSamePlacement, MAX_ORDER_TOTAL, validReason, validateOrderRequest, type OrderRequest, type PlaceOrderInput } from '../domain/place-order.js';
import { OrderErrors } from '../errors.js';
import type { OrderSettings } from '../settings.js';
import { OrderStore, type DecidedOrder, type NewOrder, type OrderChange, type OrderLineRecord, type OrderRecord, type SagaStep } from '../store/order.store.js';
import type { Catalogue, Claim } from './catalogue.js';
import { compensations, statusChanged } from './order-events.js';

/** Most refusals in one insert: a few tens of kilobytes. */
const REFUSALS_PER_WRITE = 200;

export class OrderSaga {
  /** Admission control in front of the calls to stock and payment (see `OrderSettings.placements`). */
  private readonly placements: AdmissionGate;
  /**
   * The orders a sold-out product refuses, written many to a write: in a drop most customers are
   * refused within the same second, and one insert per refusal would crowd out the placements
   * that hold the last units. Bounded and timed like the placements: a refusal that cannot be
   * written in time is answered TOO_BUSY having written nothing.
   */
  private readonly refusals: GroupCommit<DecidedOrder, OrderRecord | null>;

  constructor(
    private readonly orders: OrderStore,
    private readonly stock: StockClient,
    private readonly payments: PaymentClient,
    private readonly catalogue: Catalogue,
    private readonly relay: OutboxRelay,
    private readonly settings: OrderSettings,
    private readonly log: Logger,
    private readonly delivery: DeliveryClient,
  ) {
    this.placements = new AdmissionGate(settings.placements);
    this.refusals = new GroupCommit({
      maxBatch: REFUSALS_PER_WRITE,
      // A refusal costs a few hundred bytes and no call elsewhere: at least one full write may wait.
      maxQueue: Math.max(settings.placements.maxQueue, REFUSALS_PER_WRITE),
      maxWaitMs: settings.placements.maxWaitMs,
      write: async (batch) => {
        const written = await orders.insertDecidedMany(batch);
        relay.flushInBackground(batch.flatMap(({ order, change }, i) => (written[i] ? [{ id: order.id, events: change.events }] : [])));
        return written;
      },
    });
  }

  // ------------------------------------------------------------------ placing an order

  /**
   * Places an order, or answers with the order its idempotency key placed before. In a rush:
   * a sold-out product is refused at once (one write, no call to stock or payment); the rest wait
   * their turn in the admission gate, and one that cannot start in time is refused with TOO_BUSY
   * having done nothing, so a retry with the same key is always safe.
   */
  async place(viewer: Viewer | null, input: PlaceOrderInput, requestId?: string): Promise<OrderRecord> {
    const customer = requireRole(viewer, 'CUSTOMER');
    const request = validateOrderRequest(input);
    try {
      return await this.placeNew(customer.id, request, requestId);
    } catch (error) {
      // A replay answers with its order, even while stock is down or the bakery is busy. (Asked
      // only now: in a drop, a key seen before is rare, and the unique index answers it anyway.)
      const existing = await this.orders.findByKey(customer.id, request.idempotencyKey).catch(() => null);
      if (existing) return this.settled(this.sameOrConflict(existing, request));
      if (error instanceof AdmissionRefused) throw OrderErrors.tooBusy(error.retryAfterMs);
      throw error;
    }
  }

  private async placeNew(customerId: string, request: OrderRequest, requestId?: string): Promise<OrderRecord> {
    const lines = await this.priceLines(request, requestId);
    const claim = this.catalogue.claim(lines);
    if (!claim) return this.refuseSoldOut(customerId, request, lines);
    try {
      return await this.placements.run(() => this.placeAdmitted(customerId, request, lines, claim, requestId));
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
  private async priceLines(request: OrderRequest, requestId?: string): Promise<OrderLineRecord[]> {
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

  private async placeAdmitted(customerId: string, request: OrderRequest, lines: OrderLineRecord[], claim: Claim, requestId?: string): Promise<OrderRecord> {
    // The unique (customer, key) index settles a race between twins: one insert wins.
    const placed = await this.orders.insertPlaced(this.newOrder(customerId, request, lines));
    if (!placed) return this.twinOf(customerId, request);
    return this.holdAndPay(placed, claim, requestId);
  }

  /**
   * A sold-out order is decided before it is written: REJECTED, with its event, in one insert that
   * it shares with the other refusals of the moment (see `refusals`).
   */
  private async refuseSoldOut(customerId: string, request: OrderRequest, lines: OrderLineRecord[]): Promise<OrderRecord> {
    const order = { ...this.newOrder(customerId, request, lines), id: OrderStore.newId() };
    const now = new Date();
    const refused = await this.refusals.add({
      order,
      change: {
        status: 'REJECTED',
        set: { rejectionReason: 'OUT_OF_STOCK', paymentToken: null },
        history: [{ status: 'REJECTED', at: now, reason: 'OUT_OF_STOCK' }],
        events: [statusChanged(order, 'REJECTED', 'OUT_OF_STOCK', null, now)],
      },
    });
    return refused ?? this.twinOf(customerId, request);
  }

  private newOrder(customerId: string, request: OrderRequest, lines: OrderLineRecord[]): NewOrder {
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
  private async twinOf(customerId: string, request: OrderRequest): Promise<OrderRecord> {
    const twin = await this.orders.findByKey(customerId, request.idempotencyKey);
    if (!twin) throw OrderErrors.stillPlacing();
    return this.settled(this.sameOrConflict(twin, request));
  }

  private async holdAndPay(order: OrderRecord, claim: Claim, requestId?: string): Promise<OrderRecord> {
    let reservation;
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
      const now = new Date();
      return this.apply(order.id, ['PLACED'], {
        status: 'REJECTED',
        set: { rejectionReason: 'OUT_OF_STOCK', paymentToken: null },
        history: [{ status: 'REJECTED', at: now, reason: 'OUT_OF_STOCK' }],
        events: [statusChanged(order, 'REJECTED', 'OUT_OF_STOCK', null, now)],
      });
    }
    claim.held();
    // The prices the stock held are the prices of the order.
    const held = new Map(reservation.lines.map((line) => [line.productId, line]));
    const lines = order.lines.map((line) => ({ ...line, unitPrice: held.get(line.productId)?.unitPrice ?? line.unitPrice }));
    const priced = { ...order, lines, total: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) };

    const outcome = await this.authorize(priced, requestId);
    return this.settlePayment(priced, 'PLACED', outcome, { lines: priced.lines, total: priced.total });
  }

  /** Asks payment; `null` when it could not answer (down, slow, breaker open). */
  private async authorize(order: OrderRecord, requestId?: string): Promise<PaymentOutcome | null> {
    try {
      return await this.payments.authorize(
        { orderId: order.id, customerId: order.customerId, amount: order.total, method: order.paymentMethod, token: order.paymentToken },
        requestId,
      );
    } catch (error) {
      if (!isAppError(error, ErrorCode.ServiceUnavailable)) this.log.error({ err: error, orderId: order.id }, 'payment refused the authorization request');
      else this.log.warn({ orderId: order.id, reason: error.message }, 'payment unavailable');
      return null;
    }
  }

  /** Moves the order on from `from` by what payment answered. */
  private async settlePayment(
    order: OrderRecord,
    from: 'PLACED' | 'PAYMENT_PENDING',
    outcome: PaymentOutcome | null,
    set: OrderChange['set'] = {},
  ): Promise<OrderRecord> {
    const now = new Date();
    if (outcome?.status === 'AUTHORIZED') {
      const promisedBy = promiseTime(now, order.fulfilment, this.settings.promiseSeconds);
      return this.apply(order.id, [from], {
        status: 'CONFIRMED',
        set: { ...set, paymentStatus: 'AUTHORIZED', paymentToken: null, promisedBy, holdDeadline: null },
        history: [{ status: 'CONFIRMED', at: now, reason: null }],
        events: [statusChanged(order, 'CONFIRMED', null, promisedBy, now)],
      });
    }
    if (outcome && outcome.status !== 'PENDING') {
      const reason = rejectionForDecline(outcome.declineReason);
      return this.apply(order.id, [from], {
        status: 'REJECTED',
        set: { ...set, paymentStatus: outcome.status, paymentToken: null, rejectionReason: reason, holdDeadline: null },
        history: [{ status: 'REJECTED', at: now, reason }],
        events: [statusChanged(order, 'REJECTED', reason, null, now), newEvent('ReleaseStock', { orderId: order.id })],
      });
    }
    if (from === 'PAYMENT_PENDING') throw OrderErrors.stillPlacing(); // not settled: the job retries
    // Payment could not answer: hold the stock, retry, and give up at the hold deadline.
    const holdDeadline = new Date(now.getTime() + this.settings.paymentHoldMs);
    return this.apply(order.id, ['PLACED'], {
      status: 'PAYMENT_PENDING',
      set: { ...set, paymentStatus: 'PENDING', holdDeadline },
      history: [{ status: 'PAYMENT_PENDING', at: now, reason: 'payment service unavailable, retrying' }],
      events: [
        statusChanged(order, 'PAYMENT_PENDING', null, null, now),
        newEvent('SettlePendingPayment', { orderId: order.id }, new Date(now.getTime() + this.settings.paymentRetryDelayMs)),
        newEvent('SettlePendingPayment', { orderId: order.id }, holdDeadline),
      ],
    });
  }

  /**
   * The retry job of a PAYMENT_PENDING order: authorize again, or cancel it at its hold deadline.
   * Throws while payment still cannot answer, so the queue retries it with backoff.
   */
  async settlePendingPayment(orderId: string): Promise<void> {
    const order = await this.orders.find(orderId);
    if (order?.status !== 'PAYMENT_PENDING') return;
    if (order.holdDeadline && Date.now() >= order.holdDeadline.getTime()) {
      const now = new Date();
      await this.apply(orderId, ['PAYMENT_PENDING'], {
        status: 'CANCELLED',
        set: { paymentToken: null },
        history: [{ status: 'CANCELLED', at: now, reason: 'PAYMENT_TIMEOUT' }],
        events: [statusChanged(order, 'CANCELLED', 'PAYMENT_TIMEOUT', null, now), ...compensations(orderId)],
      });
      return;
    }
    await this.settlePayment(order, 'PAYMENT_PENDING', await this.authorize(order));
  }

  /** A placement that never reached a verdict: nothing is shown, and anything held goes back. */
  private async abandon(order: OrderRecord): Promise<void> {
    await this.orders.change(order.id, ['PLACED'], {
      status: 'ABANDONED',
      // Frees the key, so the customer's retry places a new order.
      set: { idempotencyKey: `${order.idempotencyKey}#abandoned:${order.id}`, paymentToken: null },
      events: compensations(order.id),
    });
    await this.relay.flushSoon(order.id);
  }

  /** Orders a dead process left in PLACED are abandoned by the workers' sweep. */
  async abandonStuck(olderThanMs: number): Promise<number> {
    const stuck = await this.orders.placedBefore(new Date(Date.now() - olderThanMs), 50);
    for (const order of stuck) await this.abandon(order);
    return stuck.length;
  }

  /** The order a repeat of the key found, if it is the order asked for; a reused key is a conflict. */
  private sameOrConflict(order: OrderRecord, request: OrderRequest): OrderRecord {
    if (!isSamePlacement(order, request)) throw OrderErrors.idempotencyKeyReused();
    return order;
  }

  /**
   * A twin of this placement may still be running: wait for its verdict, as long as a placement
   * may wait for its turn (so the answer still fits the gateway's deadline).
   */
  private async settled(order: OrderRecord): Promise<OrderRecord> {
    const deadline = Date.now() + this.settings.placements.maxWaitMs;
    let current: OrderRecord | null = order;
    while (current?.status === 'PLACED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await this.orders.find(order.id);
    }
    if (!current || !isPublic(current.status)) throw OrderErrors.stillPlacing();
    return current;
  }

  // ------------------------------------------------------------------ ending early

  async cancel(viewer: Viewer | null, id: string, reason: string | null | undefined, requestId?: string): Promise<OrderRecord> {
    const customer = requireRole(viewer, 'CUSTOMER');
    const orderId = parseObjectId(id, 'id').toHexString();
    const why = validReason(reason, 'reason') ?? 'cancelled by the customer';
    // Each pass cancels from the status it saw; a status that moved meanwhile is seen on the next
    // (statuses only move forward, so the passes end).
    for (;;) {
      const order = await this.orders.find(orderId);
      if (!order || order.customerId !== customer.id || !isPublic(order.status)) throw OrderErrors.orderNotFound(id);
      if (order.status === 'CANCELLED') return order; // a repeat
      if (!isCancellableByCustomer(order.status)) throw OrderErrors.notCancellable(id, order.status);
      // A confirmed order may have a baker: withdraw the delivery first. It and startBaking are one
      // conditional update of the same delivery, so exactly one of them wins the race.
      let deliveryStatus: { deliveryStatus: 'CANCELLED' } | Record<string, never> = {};
      if (order.status !== 'PAYMENT_PENDING') {
        try {
          const { wasAssigned } = await this.delivery.withdraw(orderId, order.fulfilment, requestId);
          if (wasAssigned) deliveryStatus = { deliveryStatus: 'CANCELLED' };
        } catch (error) {
          if (isAppError(error, ErrorCode.InvalidTransition)) throw OrderErrors.notCancellable(id, 'BAKING');
          throw error;
        }
      }
      const now = new Date();
      const changed = await this.orders.change(orderId, [order.status], {
        status: 'CANCELLED',
        set: { paymentToken: null, ...deliveryStatus },
        history: [{ status: 'CANCELLED', at: now, reason: why }],
        events: [statusChanged(order, 'CANCELLED', why, order.promisedBy, now), ...compensations(orderId)],
      });
      if (changed) {
        await this.relay.flushSoon(orderId);
        return changed;
      }
    }
  }

  async reject(viewer: Viewer | null, id: string, reason: string | null | undefined): Promise<OrderRecord> {
    requireRole(viewer, 'STAFF');
    const orderId = parseObjectId(id, 'orderId').toHexString();
    const why = validReason(reason, 'reason') ?? 'rejected by the store';
    const order = await this.orders.find(orderId);
    if (!order || !isPublic(order.status)) throw OrderErrors.orderNotFound(id);
    if (order.status === 'REJECTED' && order.rejectionReason === 'STORE_REJECTED') return order;
    const now = new Date();
    const changed = await this.orders.change(orderId, STAFF_REJECTABLE, {
      status: 'REJECTED',
      set: { rejectionReason: 'STORE_REJECTED', paymentToken: null },
      history: [{ status: 'REJECTED', at: now, reason: why }],
      events: [statusChanged(order, 'REJECTED', why, order.promisedBy, now), ...compensations(orderId)],
    });
    if (!changed) throw OrderErrors.notRejectable(id, (await this.orders.find(orderId))?.status ?? order.status);
    await this.relay.flushSoon(orderId);
    return changed;
  }

  // ------------------------------------------------------------------ following the delivery

  /**
   * The delivery reports how far it got; the order follows through every step up to there (a
   * report may overtake an earlier one). Repeats and stale reports change nothing.
   */
  async recordDeliveryProgress(orderId: string, reached: DeliveryStatus, bakerName?: string): Promise<OrderRecord> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const order = await this.orders.find(orderId);
      if (!order || !isPublic(order.status)) throw OrderErrors.orderNotFound(orderId);
      const steps = progressSteps(order.status, reached, order.fulfilment);
      if (steps.length === 0) {
        // A cancelled delivery moves no status, but the read model must say so.
        if (reached === 'CANCELLED' && order.deliveryStatus !== 'CANCELLED' && order.deliveryStatus !== null) {
          await this.orders.updateReadModel(orderId, { deliveryStatus: 'CANCELLED' });
          return { ...order, deliveryStatus: 'CANCELLED' };
        }
        return order;
      }
      const at = new Date();
      const last = steps.at(-1) as OrderStatus;
      const events: OutboxEvent[] = steps.map((status) => statusChanged(order, status, null, order.promisedBy, at));
      if (last === 'COMPLETED') events.push(newEvent('CommitStock', { orderId }));
      const changed = await this.orders.change(orderId, [order.status], {
        status: last,
        set: { deliveryStatus: reached, ...(bakerName ? { bakerName } : {}) },
        history: steps.map((status) => ({ status, at, reason: null })),
        events,
      });
      if (changed) {
        await this.relay.flushSoon(orderId);
        return changed;
      }
      // The order moved meanwhile: look again.
    }
    throw OrderErrors.stillPlacing();
  }

  /** The promise time passed before completion; true when this call recorded it. */
  async recordDelay(orderId: string): Promise<boolean> {
    return this.orders.markDelayed(orderId);
  }

  // ------------------------------------------------------------------ saga steps (queue jobs)

  /** Runs one step the saga owes another context; throws to be retried while it cannot. */
  async runStep(step: SagaStep, orderId: string): Promise<void> {
    const order = await this.orders.find(orderId);
    if (!order || order.sagaSteps.includes(step)) return;
    if (step === 'ReleaseStock') {
      const reservation = await this.stock.release(orderId);
      // An order stock never held (rejected, or abandoned before) gets no note.
      const note = reservation.lines.length > 0 && reservation.status === 'RELEASED' ? 'stock released' : null;
      await this.orders.markStepDone(orderId, step, note ? { status: noteStatus(order), at: new Date(), reason: note } : null);
    } else if (step === 'RefundPayment') {
      const payment = await this.payments.refund(orderId);
      await this.orders.updateReadModel(orderId, { paymentStatus: payment.status });
      const note = payment.status === 'REFUNDED' ? 'payment refunded' : payment.status === 'VOIDED' ? 'payment voided' : null;
      await this.orders.markStepDone(orderId, step, note ? { status: noteStatus(order), at: new Date(), reason: note } : null);
    } else {
      await this.stock.commit(orderId);
      await this.orders.markStepDone(orderId, step, null);
    }
  }

  // ------------------------------------------------------------------

  private async apply(orderId: string, from: Parameters<OrderStore['change']>[1], change: OrderChange): Promise<OrderRecord> {
    const changed = await this.orders.change(orderId, from, change);
    if (changed) await this.relay.flushSoon(orderId);
    const current = changed ?? (await this.orders.find(orderId));
    if (!current) throw OrderErrors.orderNotFound(orderId);
    return current;
  }
}

/** Compensation notes go into the history under the status the order ended in. */
const noteStatus = (order: OrderRecord): OrderStatus => (isPublic(order.status) ? order.status : 'CANCELLED');
