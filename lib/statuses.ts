/**
 * The statuses contexts tell one another about, declared once. Each context's domain names them in
 * its own words (`OrderStatus`, `DeliveryStatus`, `PaymentStatus`) from these. Pure: types only.
 */

/** Where an order stands, as customers see it. */
export type OrderStatusName = 'PAYMENT_PENDING' | 'CONFIRMED' | 'ASSIGNED' | 'BAKING' | 'READY' | 'OUT_FOR_DELIVERY' | 'COMPLETED' | 'CANCELLED' | 'REJECTED';

/** Where an order's delivery stands, from the moment a baker has it. */
export type DeliveryStatusName = 'ASSIGNED' | 'BAKING' | 'READY' | 'OUT_FOR_DELIVERY' | 'COMPLETED' | 'CANCELLED';

/** Where an order's payment stands. */
export type PaymentStatusName = 'PENDING' | 'AUTHORIZED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';
