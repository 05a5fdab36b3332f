import { fromDraft } from '../../../../lib/events.js';
import type { OutboxRelay } from '../../../../lib/outbox.js';
import type { Order } from '../domain/order.js';
import type { Transition } from '../domain/order-transitions.js';
import { OrderErrors } from '../errors.js';
import type { OrderStore } from '../store/order.store.js';

/**
 * Applies the domain's transitions: one atomic conditional update of the order document that also
 * writes the events it causes to its outbox, then publishes them.
 */
export class OrderChanges {
  constructor(
    private readonly orders: OrderStore,
    private readonly relay: OutboxRelay,
  ) {}

  /** The order after the transition; null when it had moved on from the statuses it expects. */
  async apply(orderId: string, transition: Transition): Promise<Order | null> {
    const { from, to, set, history, events } = transition;
    const changed = await this.orders.change(orderId, from, { status: to, set, history, events: events.map(fromDraft) });
    if (!changed) return null;
    await this.relay.flushSoon(orderId, changed.pending);
    return changed.order;
  }

  /** The order as it stands after trying the transition, whether it applied or the order had moved on. */
  async applyOrRead(orderId: string, transition: Transition): Promise<Order> {
    const current = (await this.apply(orderId, transition)) ?? (await this.orders.find(orderId));
    if (!current) throw OrderErrors.orderNotFound(orderId);
    return current;
  }
}
