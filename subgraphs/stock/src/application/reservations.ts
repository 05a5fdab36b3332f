import type { Logger } from '../../../../lib/logger.js';
import { normalizeLines, type StockLine } from '../domain/reservation.js';
import { StockErrors } from '../errors.js';
import type { ProductStore } from '../store/product.store.js';
import type { ReservationRecord, ReservationStore, ReservedLineRecord } from '../store/reservation.store.js';
import type { StockNotices } from './stock-notices.js';

/**
 * Holding stock for orders, all lines or none, without transactions: each product is changed by
 * one atomic conditional update that also records the order id on it, so every step can be
 * repeated after a crash or a retried call without holding twice. A reservation document per
 * order records where the whole stands.
 */
export class Reservations {
  constructor(
    private readonly products: ProductStore,
    private readonly reservations: ReservationStore,
    private readonly notices: StockNotices,
    private readonly log: Logger,
  ) {}

  async reserve(orderId: string, requested: readonly StockLine[]): Promise<ReservationRecord> {
    const lines = normalizeLines(requested).sort((a, b) => a.productId.localeCompare(b.productId));
    const products = new Map((await this.products.findMany(lines.map((line) => line.productId))).map((p) => [p.id, p]));
    const priced: ReservedLineRecord[] = lines.map((line) => {
      const product = products.get(line.productId);
      return { ...line, unitPrice: product?.price ?? 0, name: product?.name ?? '' };
    });

    const reservation = await this.reservations.insertOrGet(orderId, 'PENDING', priced);
    if (reservation.status !== 'PENDING') return reservation; // settled before: the same answer again

    const unavailable = lines.find((line) => !products.get(line.productId)?.active);
    if (unavailable) {
      return this.reject(orderId, reservation.lines, 'PRODUCT_UNAVAILABLE', unavailable.productId);
    }
    for (const line of reservation.lines) {
      const held = (await this.products.hold(line.productId, orderId, line.quantity)) || (await this.products.isHeldBy(line.productId, orderId));
      if (!held) return this.reject(orderId, reservation.lines, 'OUT_OF_STOCK', line.productId);
    }
    const held = await this.reservations.settle(orderId, ['PENDING'], 'HELD');
    if (held) {
      this.notices.changed(reservation.lines.map((line) => line.productId));
      return held;
    }
    // Someone settled it first: a concurrent repeat of this call, or a release that overtook it.
    return this.giveBackUnlessHeld(orderId);
  }

  async release(orderId: string): Promise<ReservationRecord> {
    // A release before any reserve leaves a tombstone, so a late reserve holds nothing.
    const reservation = await this.reservations.insertOrGet(orderId, 'RELEASED', []);
    if (reservation.status === 'PENDING' || reservation.status === 'HELD') {
      await this.reservations.settle(orderId, ['PENDING', 'HELD'], 'RELEASED');
    }
    return this.giveBackUnlessHeld(orderId);
  }

  async commit(orderId: string): Promise<ReservationRecord> {
    const reservation = await this.reservations.find(orderId);
    if (!reservation) throw StockErrors.reservationNotFound(orderId);
    if (reservation.status === 'HELD') await this.reservations.settle(orderId, ['HELD'], 'COMMITTED');
    const current = await this.current(orderId);
    if (current.status !== 'COMMITTED') throw StockErrors.notHeld(orderId, current.status);
    // Repeating the per-product step is harmless and finishes what a crash may have left.
    for (const line of current.lines) await this.products.sellHold(line.productId, orderId, line.quantity);
    return current;
  }

  private async reject(orderId: string, lines: ReservedLineRecord[], reason: 'OUT_OF_STOCK' | 'PRODUCT_UNAVAILABLE', productId: string) {
    await this.reservations.settle(orderId, ['PENDING'], 'REJECTED', { reason, rejectedProductId: productId });
    this.log.info({ orderId, reason, productId }, 'stock reservation rejected');
    for (const line of lines) await this.products.returnHold(line.productId, orderId, line.quantity);
    return this.giveBackUnlessHeld(orderId);
  }

  /** Whatever the settled status, any hold this order still has is returned unless it is HELD. */
  private async giveBackUnlessHeld(orderId: string): Promise<ReservationRecord> {
    const current = await this.current(orderId);
    if (current.status === 'RELEASED' || current.status === 'REJECTED') {
      const returned: string[] = [];
      for (const line of current.lines) {
        if (await this.products.returnHold(line.productId, orderId, line.quantity)) returned.push(line.productId);
      }
      if (returned.length > 0) this.notices.changed(returned);
    }
    return current;
  }

  private async current(orderId: string): Promise<ReservationRecord> {
    const current = await this.reservations.find(orderId);
    if (!current) throw StockErrors.reservationNotFound(orderId);
    return current;
  }
}
