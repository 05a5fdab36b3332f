import { hasRole, requireRole, requireViewer, type Viewer } from '../../../../lib/auth.js';
import { isObjectIdString, parseId } from '../../../../lib/ids.js';
import { decodeCursor, pageSize, toPage } from '../../../../lib/paging.js';
import { isPublic, type OrderStatus } from '../domain/order.js';
import type { NotificationStore } from '../store/notification.store.js';
import type { OrderStore } from '../store/order.store.js';
import type { Order } from '../domain/order.js';

/** What customers and staff may read of orders: customers their own, staff everything. */
export class OrderQueries {
  constructor(
    private readonly orders: OrderStore,
    private readonly notifications: NotificationStore,
  ) {}

  /** Someone else's order is indistinguishable from a missing one. */
  async order(viewer: Viewer | null, id: string): Promise<Order | null> {
    requireViewer(viewer);
    return this.visibleTo(viewer, await this.orders.find(parseId(id, 'id')));
  }

  /** The orders with these ids, in one query, for the per-request loader; visibility is `visibleTo`'s. */
  findMany(ids: readonly string[]): Promise<Order[]> {
    return this.orders.findMany(ids);
  }

  /** The order if the viewer may see it: customers their own, staff and services any; never an internal status. */
  visibleTo(viewer: Viewer | null, order: Order | null): Order | null {
    const known = requireViewer(viewer);
    if (!order || !isPublic(order.status)) return null;
    return hasRole(known, 'STAFF') || hasRole(known, 'SERVICE') || order.customerId === known.id ? order : null;
  }

  async myOrders(viewer: Viewer | null, args: { first?: number | null; after?: string | null }) {
    const customer = requireRole(viewer, 'CUSTOMER');
    return this.page({ customerId: customer.id }, args, 20);
  }

  async allOrders(viewer: Viewer | null, args: { status?: OrderStatus | null; first?: number | null; after?: string | null }) {
    requireRole(viewer, 'STAFF');
    return this.page(args.status ? { status: args.status } : {}, args, 50);
  }

  async myNotifications(viewer: Viewer | null, first: number | null | undefined) {
    const customer = requireRole(viewer, 'CUSTOMER');
    return this.notifications.forCustomer(customer.id, pageSize(first, 20));
  }

  private async page(filter: { customerId?: string; status?: OrderStatus }, args: { first?: number | null; after?: string | null }, fallback: number) {
    const size = pageSize(args.first, fallback);
    const beforeId = decodeCursor(args.after, isObjectIdString);
    const items = await this.orders.list({ ...filter, ...(beforeId ? { beforeId } : {}), limit: size + 1 });
    return toPage(items, size, (order) => order.id);
  }
}
