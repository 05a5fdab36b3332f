/**
 * Rules for holding stock for an order. Pure: no I/O.
 *
 * A reservation is all lines or none. Its status only moves forward:
 *   PENDING -> HELD | REJECTED;  HELD -> RELEASED | COMMITTED;  PENDING -> RELEASED.
 * A release that arrives before the reserve leaves a RELEASED tombstone, so the late reserve
 * holds nothing (calls between services can arrive out of order after a timeout).
 */
import { badInput } from '../../../../lib/errors.js';
import { isObjectIdString } from '../../../../lib/ids.js';
import { MAX_STOCK } from './product.js';

export type ReservationStatus = 'PENDING' | 'HELD' | 'REJECTED' | 'RELEASED' | 'COMMITTED';
export type RejectionReason = 'OUT_OF_STOCK' | 'PRODUCT_UNAVAILABLE';

export interface StockLine {
  productId: string;
  quantity: number;
}

export const MAX_LINES = 20;

/** Checks lines and merges repeats of one product, so each product is held once per order. */
export function normalizeLines(lines: readonly StockLine[]): StockLine[] {
  if (lines.length < 1 || lines.length > MAX_LINES) {
    throw badInput('lines', `an order holds 1 to ${MAX_LINES} lines, got ${lines.length}`);
  }
  const merged = new Map<string, number>();
  lines.forEach((line, index) => {
    if (!isObjectIdString(line.productId)) {
      throw badInput(`lines[${index}].productId`, `productId must be a 24-character hex id, got "${line.productId}"`);
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_STOCK) {
      throw badInput(`lines[${index}].quantity`, `quantity must be a whole number from 1 to ${MAX_STOCK}`);
    }
    merged.set(line.productId.toLowerCase(), (merged.get(line.productId.toLowerCase()) ?? 0) + line.quantity);
  });
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** A status that no later call changes. */
export const isSettled = (status: ReservationStatus): boolean => status !== 'PENDING';
