/**
 * The saga's recovery sweep: sagas whose step deadline passed are finished or compensated, with no
 * human and no new request. Queues, retries and outboxes carry nearly every step; this is the net
 * under them for a step that a SIGKILL, a Redis restart or a failed-for-good job cut short. Every
 * action here is one the saga already makes, idempotent per order id, so running it while the
 * normal path also runs changes nothing twice.
 *
 * What it looks for, each only once the order has rested in its step past `stepDeadlineMs`:
 * - PLACED: the placing process died before a verdict. Abandoned with its compensations (the
 *   customer was told nothing; a retry with the same key places the order anew).
 * - PAYMENT_PENDING: authorized again now (or cancelled at its hold deadline), not after the retry
 *   job's backoff, so an order leaves PAYMENT_PENDING soon after payment is back.
 * - CONFIRMED and on: the delivery context is asked where the delivery stands (one call for many
 *   orders). Ahead of the order: the order follows (a lost BakerAssigned/DeliveryProgressed). None
 *   for a CONFIRMED order: the assignment is asked for again. CANCELLED while the order is open: the
 *   customer's cancel withdrew it and died before it cancelled the order; the cancel is finished.
 * - orders owing a saga step (stock not released, money not given back, stock of a completed order
 *   not committed: OrderStore's indexed `sagaOwing`): the step is run now.
 * - cancelled or rejected orders a baker may still hold: the delivery is asked to take it back.
 */
import type { Viewer } from '../../../../lib/auth.js';
import type { EventDraft } from '../../../../lib/contract.js';
import { type EventJob, fromDraft, Queues } from '../../../../lib/events.js';
import type { Logger } from '../../../../lib/logger.js';
import type { EventPublisher } from '../../../../lib/outbox.js';
import type { DeliveryClient, DeliveryState } from '../clients/delivery.client.js';
import { fulfilmentPath, type Order, type OrderStatus } from '../domain/order.js';
import { statusChanged } from '../domain/order-transitions.js';
import type { OrderStore } from '../store/order.store.js';
import type { EndEarly } from './end-early.js';
import type { FollowDelivery } from './follow-delivery.js';
import type { PaymentSettlement } from './payment-settlement.js';
import type { PlaceOrder } from './place-order.js';
import type { SagaSteps } from './saga-steps.js';

/** The use cases whose own actions the sweep repeats; it decides nothing they would not. */
export interface RecoveryUseCases {
  placing: Pick<PlaceOrder, 'abandonStuck'>;
  payment: Pick<PaymentSettlement, 'settlePending'>;
  endings: Pick<EndEarly, 'cancel'>;
  delivery: Pick<FollowDelivery, 'recordProgress'>;
  sagaSteps: Pick<SagaSteps, 'run'>;
}

export interface RecoverySettings {
  /** How long an order may rest in a step before the sweep looks at it. */
  stepDeadlineMs: number;
}

/**
 * A placement runs inside one request, which the gateway gives up on after 10 s: one still PLACED
 * after three times that lost its process. Never sooner, so a slow placement still running is
 * never abandoned under its feet.
 */
const PLACEMENT_DEADLINE_MS = 30_000;
/** Orders looked at per kind and sweep; the rest wait for the next sweep. */
const BATCH = 50;
/** Ended orders are checked for missing compensations this long after they ended. */
const LOOK_BACK_MS = 24 * 3_600_000;
/** Ended orders a baker may still hold are looked for on every this many sweeps. */
const ENDED_EVERY = 6;
/** A request to the delivery context is repeated at most this often per order. */
const REQUEST_AGAIN_MS = 60_000;

const WITH_A_BAKER: readonly OrderStatus[] = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY'];
const CUSTOMER_CANCELLABLE_OPEN: readonly OrderStatus[] = ['CONFIRMED', 'ASSIGNED'];

export interface RecoveryCounts {
  abandoned: number;
  payments: number;
  followed: number;
  reassigned: number;
  cancelsFinished: number;
  compensated: number;
  takenBack: number;
}

export class SagaRecovery {
  /**
   * Open orders in step with their delivery rest for as long as the kitchen takes: each sweep
   * pages on from here, so every open order is compared in turn, not only the oldest ones.
   */
  private openCursor: Date | undefined;
  private sweeps = 0;

  constructor(
    private readonly useCases: RecoveryUseCases,
    private readonly orders: OrderStore,
    private readonly delivery: DeliveryClient,
    private readonly publisher: EventPublisher,
    private readonly settings: RecoverySettings,
    private readonly log: Logger,
  ) {}

  /** One sweep over every kind of stuck saga; a failure in one kind does not stop the others. */
  async sweep(): Promise<RecoveryCounts> {
    const counts: RecoveryCounts = { abandoned: 0, payments: 0, followed: 0, reassigned: 0, cancelsFinished: 0, compensated: 0, takenBack: 0 };
    const before = new Date(Date.now() - this.settings.stepDeadlineMs);
    const kinds: Array<[string, () => Promise<void>]> = [
      [
        'placements',
        async () => {
          counts.abandoned = await this.useCases.placing.abandonStuck(Math.max(PLACEMENT_DEADLINE_MS, this.settings.stepDeadlineMs));
        },
      ],
      ['pending payments', () => this.pendingPayments(before, counts)],
      ['deliveries', () => this.deliveries(before, counts)],
      ['compensations', () => this.compensations(before, counts)],
      // Ended orders are many: these are looked for less often.
      ...(this.sweeps++ % ENDED_EVERY === 0 ? ([['take-backs', () => this.takeBacks(before, counts)]] as Array<[string, () => Promise<void>]>) : []),
    ];
    for (const [kind, run] of kinds) {
      try {
        await run();
      } catch (error) {
        this.log.warn({ err: error, kind }, 'recovery sweep could not finish this kind; the next sweep tries again');
      }
    }
    return counts;
  }

  private async pendingPayments(before: Date, counts: RecoveryCounts): Promise<void> {
    for (const order of await this.orders.restingIn(['PAYMENT_PENDING'], { before }, {}, BATCH)) {
      try {
        await this.useCases.payment.settlePending(order.id);
        counts.payments++;
      } catch (error) {
        this.log.debug({ err: error, orderId: order.id }, 'pending payment still unsettled');
      }
    }
  }

  /** Open orders past CONFIRMED, and CONFIRMED ones without a baker: compared with their delivery. */
  private async deliveries(before: Date, counts: RecoveryCounts): Promise<void> {
    const open = await this.orders.restingIn(['CONFIRMED', ...WITH_A_BAKER], { before, ...(this.openCursor ? { after: this.openCursor } : {}) }, {}, BATCH);
    this.openCursor = open.length === BATCH ? open.at(-1)?.updatedAt : undefined;
    if (open.length === 0) return;
    const deliveries = await this.delivery.deliveriesOf(open.map((order) => order.id));
    for (const order of open) {
      const delivery = deliveries.get(order.id) ?? null;
      try {
        await this.reconcile(order, delivery, counts);
      } catch (error) {
        this.log.warn({ err: error, orderId: order.id }, 'recovery could not bring the order in step with its delivery');
      }
    }
  }

  private async reconcile(order: Order, delivery: DeliveryState | null, counts: RecoveryCounts): Promise<void> {
    if (!delivery) {
      if (order.status === 'CONFIRMED') {
        await this.requestAssignment(order);
        counts.reassigned++;
      }
      return;
    }
    if (delivery.status === 'CANCELLED') {
      if (!CUSTOMER_CANCELLABLE_OPEN.includes(order.status as OrderStatus)) return;
      // Only a customer's cancel withdraws the delivery of an open order: finish that cancel.
      const customer: Viewer = { id: order.customerId, roles: ['CUSTOMER'] };
      await this.useCases.endings.cancel(customer, order.id, 'cancelled by the customer');
      this.log.info({ orderId: order.id }, 'recovery finished a cancel cut short');
      counts.cancelsFinished++;
      return;
    }
    const path = fulfilmentPath(order.fulfilment);
    if (path.indexOf(delivery.status) > path.indexOf(order.status as OrderStatus)) {
      await this.useCases.delivery.recordProgress(order.id, delivery.status, delivery.bakerName ?? undefined);
      this.log.info({ orderId: order.id, from: order.status, to: delivery.status }, 'recovery moved the order up to its delivery');
      counts.followed++;
    }
  }

  /**
   * Asks the delivery context to assign the order again: the same event it heard at confirmation,
   * straight to its queue (not to notifications: the customer heard it already). Assignment is
   * idempotent per order, and finishes what an interrupted one left undone.
   */
  private async requestAssignment(order: Order): Promise<void> {
    const confirmed = [...order.history].reverse().find((change) => change.status === 'CONFIRMED');
    await this.toDelivery(order.id, 'assign', statusChanged(order, 'CONFIRMED', null, order.promisedBy, confirmed?.at ?? order.updatedAt));
    this.log.info({ orderId: order.id }, 'recovery asked for the assignment of a confirmed order again');
  }

  /** Orders owing a compensation (or the commit of a completed order) past the deadline: run it now. */
  private async compensations(before: Date, counts: RecoveryCounts): Promise<void> {
    for (const { order, owed } of await this.orders.owingSteps(before, BATCH)) {
      for (const step of new Set(owed)) {
        try {
          // Done, but a crash came before it was struck off: strike it off.
          if (order.sagaSteps.includes(step)) await this.orders.markStepDone(order.id, step, null);
          else {
            await this.useCases.sagaSteps.run(step, order.id);
            counts.compensated++;
            this.log.info({ orderId: order.id, step }, 'recovery ran a saga step left undone');
          }
        } catch (error) {
          this.log.debug({ err: error, orderId: order.id, step }, 'saga step still cannot run');
        }
      }
    }
  }

  /** Ended after a baker had it, and the delivery context never said it took the order back. */
  private async takeBacks(before: Date, counts: RecoveryCounts): Promise<void> {
    const window = { before, after: new Date(Date.now() - LOOK_BACK_MS) };
    const ended: Order[] = [];
    for (const deliveryStatus of ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY']) {
      ended.push(...(await this.orders.restingIn(['CANCELLED', 'REJECTED'], window, { deliveryStatus }, BATCH)));
    }
    if (ended.length === 0) return;
    const deliveries = await this.delivery.deliveriesOf(ended.map((order) => order.id));
    for (const order of ended) {
      const delivery = deliveries.get(order.id);
      if (!delivery || delivery.status === 'CANCELLED' || delivery.status === 'COMPLETED') continue;
      const last = [...order.history].reverse().find((change) => change.status === order.status);
      await this.toDelivery(
        order.id,
        'take-back',
        statusChanged(order, order.status as OrderStatus, last?.reason ?? null, order.promisedBy, last?.at ?? order.updatedAt),
      );
      this.log.info({ orderId: order.id }, 'recovery asked the delivery context to take back an ended order');
      counts.takenBack++;
    }
  }

  /** One job on the delivery context's queue, at most once per order and REQUEST_AGAIN_MS (BullMQ drops a repeated job id). */
  private async toDelivery(orderId: string, what: string, draft: EventDraft): Promise<void> {
    const event = fromDraft(draft);
    const job: EventJob = { eventId: event.id, type: event.type, payload: event.payload, ...(event.trace ? { trace: event.trace } : {}) };
    const slot = Math.floor(Date.now() / REQUEST_AGAIN_MS);
    await this.publisher.queue(Queues.deliveryEvents).add('OrderStatusChanged', job, { jobId: `recovery-${what}-${orderId}-${slot}` });
  }

  /** Sweeps every `intervalMs` until the returned function is called. */
  start(intervalMs: number): () => Promise<void> {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      running ??= this.sweep()
        .then((counts) => {
          if (Object.values(counts).some((count) => count > 0)) this.log.info({ ...counts }, 'recovery sweep finished sagas left behind');
        })
        .catch((error: unknown) => this.log.warn({ err: error }, 'recovery sweep failed'))
        .finally(() => (running = undefined));
    }, intervalMs);
    return async () => {
      clearInterval(timer);
      await running;
    };
  }
}
