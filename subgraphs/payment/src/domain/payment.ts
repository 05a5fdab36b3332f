/**
 * The rules of paying for an order. Pure: no I/O.
 *
 * One payment per order. Its status only moves forward:
 *   (none) -> PENDING | VOIDED;  PENDING -> AUTHORIZED | DECLINED | VOIDED;  AUTHORIZED -> REFUNDED.
 * PENDING means an authorize has begun and not finished (the provider was unreachable, or a call is
 * under way); a repeat of the authorize finishes it. A refund that arrives before any authorize
 * leaves a VOIDED tombstone, so the late authorize charges nothing (calls between services can
 * arrive out of order after a timeout).
 */
import { badInput } from '../../../../lib/errors.js';
import type { PaymentStatusName } from '../../../../lib/statuses.js';

export type PaymentMethod = 'CARD' | 'WALLET';
export type PaymentStatus = PaymentStatusName;
/** Why a payment was declined: the card's provider said no, the token is unusable, or the wallet is short. */
export type DeclineReason = 'CARD_DECLINED' | 'INVALID_TOKEN' | 'INSUFFICIENT_FUNDS';

/** KRW has no minor unit, so amounts are whole won. */
export const MAX_PAYMENT = 10_000_000;
const MAX_ID_LENGTH = 100;

const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['AUTHORIZED', 'DECLINED', 'VOIDED'],
  AUTHORIZED: ['REFUNDED'],
  DECLINED: [],
  REFUNDED: [],
  VOIDED: [],
};

/** Whether a payment may move from `from` (null: no payment yet) to `to`. */
export function canMove(from: PaymentStatus | null, to: PaymentStatus): boolean {
  if (from === null) return to === 'PENDING' || to === 'VOIDED';
  return TRANSITIONS[from].includes(to);
}

/** A status that no later authorize changes. */
export const isSettled = (status: PaymentStatus): boolean => status !== 'PENDING';

/**
 * Where a refund takes a payment: the money goes back when it was authorized, an unfinished or
 * missing payment is voided, and anything else stays as it is (null).
 */
export function refundTarget(status: PaymentStatus | null): 'REFUNDED' | 'VOIDED' | null {
  if (status === 'AUTHORIZED') return 'REFUNDED';
  if (status === null || status === 'PENDING') return 'VOIDED';
  return null;
}

/**
 * Whether money taken from a wallet for this payment must be given back. Only an authorized
 * payment keeps it; a pending one may still be finished by a repeat of its authorize.
 */
export const walletDebitIsOwed = (status: PaymentStatus): boolean => status === 'DECLINED' || status === 'REFUNDED' || status === 'VOIDED';

export interface AuthorizePaymentInput {
  orderId: string;
  customerId: string;
  amount: number;
  method: PaymentMethod;
  token?: string | null;
}

export interface PaymentRequest {
  orderId: string;
  customerId: string;
  amount: number;
  method: PaymentMethod;
  /** CARD only; a missing token is not bad input but a decline (INVALID_TOKEN), as a provider answers. */
  token: string | null;
}

/** Checks what the order saga asks to authorize; bad values name the field as sent (`input.amount`). */
export function validatePaymentRequest(input: AuthorizePaymentInput): PaymentRequest {
  return {
    orderId: checkOrderId(input.orderId, 'input.orderId'),
    customerId: checkId(input.customerId, 'input.customerId'),
    amount: checkAmount(input.amount, 'input.amount'),
    method: input.method,
    token: input.method === 'CARD' ? input.token?.trim() || null : null,
  };
}

export function checkAmount(amount: number, field: string): number {
  if (!Number.isInteger(amount) || amount < 1 || amount > MAX_PAYMENT) {
    throw badInput(field, `${field} must be a whole amount from 1 to ${MAX_PAYMENT}, got ${amount}`);
  }
  return amount;
}

export const checkOrderId = (orderId: string, field: string): string => checkId(orderId, field);

/** Whether `id` could name a payment (its order's id), without throwing. */
export const isPlausibleId = (id: string): boolean => id.trim() === id && id.length > 0 && id.length <= MAX_ID_LENGTH;

function checkId(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_ID_LENGTH) {
    throw badInput(field, `${field} must be 1 to ${MAX_ID_LENGTH} characters, got "${value.slice(0, MAX_ID_LENGTH)}"`);
  }
  return trimmed;
}
