import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { serviceTokenSource } from '../../../lib/auth.js';
import type { CommonConfig } from '../../../lib/config.js';
import type { Logger } from '../../../lib/logger.js';
import { EventPublisher, OutboxRelay } from '../../../lib/outbox.js';
import { ServiceClient } from '../../../lib/service-client.js';
import { Catalogue } from './application/catalogue.js';
import { OrderQueries } from './application/order-queries.js';
import { OrderSaga } from './application/order-saga.js';
import { SagaRecovery } from './application/recovery.js';
import { DeliveryClient } from './clients/delivery.client.js';
import { PaymentClient } from './clients/payment.client.js';
import { StockClient } from './clients/stock.client.js';
import type { OrderSettings } from './settings.js';
import { NotificationStore } from './store/notification.store.js';
import { OrderStore } from './store/order.store.js';

export interface OrderContextParts {
  orders: OrderStore;
  notifications: NotificationStore;
  relay: OutboxRelay;
  saga: OrderSaga;
  queries: OrderQueries;
  /** The sweep that finishes sagas a crash or an outage left behind (the workers run it). */
  recovery: SagaRecovery;
  close(): Promise<void>;
}

/** The order context's parts on its own database; the subgraph and the workers build it alike. */
export async function buildOrderContext(deps: {
  config: CommonConfig;
  settings: OrderSettings;
  db: Connection;
  redis: Redis;
  publisher?: EventPublisher;
  log: Logger;
}): Promise<OrderContextParts> {
  const { config, settings, db, redis, log } = deps;
  const orders = new OrderStore(db);
  const notifications = new NotificationStore(db, settings.notificationRetentionDays);
  await Promise.all([orders.init(), notifications.init()]);

  const ownsPublisher = !deps.publisher;
  const publisher = deps.publisher ?? new EventPublisher(redis, config.redisPrefix);
  const relay = new OutboxRelay(orders.collection, publisher, log);
  const token = serviceTokenSource(config.auth, 'order');
  const stockClient = new ServiceClient({ service: 'stock', url: settings.stockUrl, token, log, timeoutMs: settings.stockTimeoutMs });
  const paymentClient = new ServiceClient({ service: 'payment', url: settings.paymentUrl, token, log, timeoutMs: settings.paymentTimeoutMs });
  const deliveryClient = new ServiceClient({ service: 'delivery', url: settings.deliveryUrl, token, log, timeoutMs: settings.deliveryTimeoutMs });
  const stock = new StockClient(stockClient);
  const catalogue = new Catalogue(stock, settings.catalogueMaxAgeMs);
  const delivery = new DeliveryClient(deliveryClient);
  const saga = new OrderSaga(orders, stock, new PaymentClient(paymentClient), catalogue, relay, settings, log, delivery);

  return {
    orders,
    notifications,
    relay,
    saga,
    queries: new OrderQueries(orders, notifications),
    recovery: new SagaRecovery(orders, saga, delivery, publisher, settings.recovery, log.child({ component: 'saga-recovery' })),
    async close() {
      saga.stopPlacing();
      await relay.stop();
      stockClient.shutdown();
      paymentClient.shutdown();
      deliveryClient.shutdown();
      if (ownsPublisher) await publisher.close();
    },
  };
}
