import { serviceTokenSource } from '../../../lib/auth.js';
import { EventPublisher, OutboxRelay } from '../../../lib/outbox.js';
import { ServiceClient } from '../../../lib/service-client.js';
import type { ContextPartsDependencies } from '../../../lib/worker-host.js';
import { Catalogue } from './application/catalogue.js';
import { OrderQueries } from './application/order-queries.js';
import { EndEarly } from './application/end-early.js';
import { FollowDelivery } from './application/follow-delivery.js';
import { OrderChanges } from './application/order-changes.js';
import { PaymentSettlement } from './application/payment-settlement.js';
import { PlaceOrder } from './application/place-order.js';
import { SagaSteps } from './application/saga-steps.js';
import { SagaRecovery } from './application/recovery.js';
import { DeliveryClient } from './clients/delivery.client.js';
import { PaymentClient } from './clients/payment.client.js';
import { StockClient } from './clients/stock.client.js';
import { announceStatusChange } from './live-topic.js';
import type { OrderSettings } from './settings.js';
import { NotificationStore } from './store/notification.store.js';
import { OrderStore } from './store/order.store.js';

export interface OrderParts {
  orders: OrderStore;
  notifications: NotificationStore;
  relay: OutboxRelay;
  /** The use cases: placing, settling a pending payment, ending early, following the delivery, the saga's steps. */
  placing: PlaceOrder;
  payment: PaymentSettlement;
  endings: EndEarly;
  delivery: FollowDelivery;
  sagaSteps: SagaSteps;
  queries: OrderQueries;
  /** The sweep that finishes sagas a crash or an outage left behind (the workers run it). */
  recovery: SagaRecovery;
  close(): Promise<void>;
}

/** The order context's parts on its own database; the subgraph and the workers build it alike. */
export async function buildOrderParts(deps: ContextPartsDependencies<OrderSettings>): Promise<OrderParts> {
  const { config, settings, db, redis, log } = deps;
  const orders = new OrderStore(db);
  const notifications = new NotificationStore(db, settings.notificationRetentionDays);
  await Promise.all([orders.init(), notifications.init()]);

  const ownsPublisher = !deps.publisher;
  const publisher = deps.publisher ?? new EventPublisher(redis, config.redisPrefix);
  const relay = new OutboxRelay(orders.collection, publisher, log, { announce: announceStatusChange, batches: orders.outboxBatches });
  const token = serviceTokenSource(config.auth, 'order');
  const stockClient = new ServiceClient({ service: 'stock', url: settings.stockUrl, token, log, timeoutMs: settings.stockTimeoutMs });
  const paymentClient = new ServiceClient({ service: 'payment', url: settings.paymentUrl, token, log, timeoutMs: settings.paymentTimeoutMs });
  const deliveryClient = new ServiceClient({ service: 'delivery', url: settings.deliveryUrl, token, log, timeoutMs: settings.deliveryTimeoutMs });
  const stock = new StockClient(stockClient);
  const catalogue = new Catalogue(stock, settings.catalogueMaxAgeMs);
  const payments = new PaymentClient(paymentClient);
  const deliveries = new DeliveryClient(deliveryClient);
  const changes = new OrderChanges(orders, relay);
  const payment = new PaymentSettlement(orders, payments, changes, settings, log);
  const placing = new PlaceOrder(orders, stock, payment, catalogue, changes, relay, settings);
  const endings = new EndEarly(orders, deliveries, changes);
  const delivery = new FollowDelivery(orders, changes);
  const sagaSteps = new SagaSteps(orders, stock, payments);

  return {
    orders,
    notifications,
    relay,
    placing,
    payment,
    endings,
    delivery,
    sagaSteps,
    queries: new OrderQueries(orders, notifications),
    recovery: new SagaRecovery(
      { placing, payment, endings, delivery, sagaSteps },
      orders,
      deliveries,
      publisher,
      settings.recovery,
      log.child({ component: 'saga-recovery' }),
    ),
    async close() {
      placing.stopPlacing();
      await relay.stop();
      stockClient.shutdown();
      paymentClient.shutdown();
      deliveryClient.shutdown();
      if (ownsPublisher) await publisher.close();
    },
  };
}
