import type { PaymentClient } from '../clients/payment.client.js';
import type { StockClient } from '../clients/stock.client.js';
import { isPublic, type Order, type OrderStatus, type SagaStep } from '../domain/order.js';
import type { OrderStore } from '../store/order.store.js';

/** The steps the saga owes other contexts (compensations, and committing sold stock), each done once. */
export class SagaSteps {
  constructor(
    private readonly orders: OrderStore,
    private readonly stock: StockClient,
    private readonly payments: PaymentClient,
  ) {}

  /** Runs one step; throws to be retried while it cannot. */
  async run(step: SagaStep, orderId: string): Promise<void> {
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
}

/** Compensation notes go into the history under the status the order ended in. */
const noteStatus = (order: Order): OrderStatus => (isPublic(order.status) ? order.status : 'CANCELLED');
