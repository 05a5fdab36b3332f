/**
 * The order store's bulk insert of decided orders (a drop's refusals) writes documents without
 * mongoose: they must be stored exactly as the schema would store them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type Connection, Types } from 'mongoose';
import { newEvent } from '../../lib/events.js';
import { connectDatabase } from '../../lib/mongo.js';
import { OrderStore, type NewOrder } from '../../subgraphs/order/src/store/order.store.js';

let db: Connection;
let store: OrderStore;

beforeAll(async () => {
  db = await connectDatabase(process.env.MONGODB_URL ?? '', `t${randomUUID().slice(0, 8)}_orderstore`);
  store = new OrderStore(db);
  await store.init();
});

afterAll(async () => {
  await db?.dropDatabase();
  await db?.close();
});

const newOrder = (key: string): NewOrder => ({
  customerId: 'customer-1',
  idempotencyKey: key,
  lines: [{ productId: '6b1143daf0249f75879a2a16', name: 'Rye', quantity: 1, unitPrice: 450 }],
  total: 450,
  fulfilment: 'PICKUP',
  deliveryAddress: null,
  paymentMethod: 'CARD',
  paymentToken: 'tok_visa',
});

test('a decided order written in bulk is stored with every field the schema gives an order, and a used key is refused alone', async () => {
  const placed = await store.insertPlaced(newOrder('by-the-schema'));
  const now = new Date();
  const [refused, replay] = await store.insertDecidedMany(
    ['in-bulk', 'by-the-schema'].map((key) => ({
      order: { ...newOrder(key), id: OrderStore.newId() },
      change: {
        status: 'REJECTED',
        set: { rejectionReason: 'OUT_OF_STOCK', paymentToken: null },
        history: [{ status: 'REJECTED', at: now, reason: 'OUT_OF_STOCK' }],
        events: [],
      },
    })),
  );

  expect(replay).toBeNull();
  const raw = await store.collection.find({ customerId: 'customer-1' }).toArray();
  const byKey = new Map(raw.map((document) => [document.idempotencyKey, document]));
  expect(Object.keys(byKey.get('in-bulk') ?? {}).sort()).toEqual(Object.keys(byKey.get('by-the-schema') ?? {}).sort());
  expect(await store.find(refused?.id ?? '')).toEqual(refused);
  expect(refused).toMatchObject({ status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK', paymentToken: null, delayed: false, sagaSteps: [] });
  expect(placed?.status).toBe('PLACED');
});

test('a saga step marked done is recorded once, no longer owed, and the flag clears with the last one owed', async () => {
  const placed = await store.insertPlaced(newOrder('owes-two'));
  const id = placed?.id ?? '';
  const events = [newEvent('ReleaseStock', { orderId: id }), newEvent('RefundPayment', { orderId: id })];
  await store.change(id, ['PLACED'], { status: 'CANCELLED', events });
  const note = { status: 'CANCELLED' as const, at: new Date(), reason: 'stock given back' };

  expect(await store.markStepDone(id, 'ReleaseStock', note)).toBe(true);
  expect(await store.collection.findOne({ _id: new Types.ObjectId(id) })).toMatchObject({ sagaOwed: ['RefundPayment'], sagaOwing: true });
  expect(await store.markStepDone(id, 'ReleaseStock', note)).toBe(false); // a repeat changes nothing
  // Every operation mongoose hands to the driver (as store_commands_total counts them, lib/metrics.ts).
  const operations: string[] = [];
  const count = ({ method }: { method: string }) => operations.push(method);
  db.on('operation-start', count);
  expect(await store.markStepDone(id, 'RefundPayment', null)).toBe(true);
  db.off('operation-start', count);
  expect(operations).toStrictEqual(['updateOne']); // the last step owed: one update

  const order = await store.collection.findOne({ _id: new Types.ObjectId(id) });
  expect(order).toMatchObject({ sagaSteps: ['ReleaseStock', 'RefundPayment'], sagaOwed: [], sagaOwing: false });
  expect(order?.history.filter((entry: { reason: string | null }) => entry.reason === 'stock given back')).toHaveLength(1);
});

test('a list shows the public orders newest first, for one customer or with one status, and never a PLACED or ABANDONED one', async () => {
  const customerId = `lister-${randomUUID().slice(0, 6)}`;
  const mine = (key: string): NewOrder => ({ ...newOrder(key), customerId });
  const placed = await store.insertPlaced(mine('still-placing'));
  const abandoned = await store.insertPlaced(mine('abandoned'));
  await store.collection.updateOne({ _id: new Types.ObjectId(abandoned?.id) }, { $set: { status: 'ABANDONED' } });
  const now = new Date();
  const [older, newer] = await store.insertDecidedMany(
    ['refused-first', 'refused-next'].map((key) => ({
      order: { ...mine(key), id: OrderStore.newId() },
      change: { status: 'REJECTED', set: { rejectionReason: 'OUT_OF_STOCK' }, history: [{ status: 'REJECTED', at: now, reason: 'OUT_OF_STOCK' }], events: [] },
    })),
  );
  const other = await store.insertPlaced(newOrder(`someone-else-${randomUUID()}`));
  await store.collection.updateOne({ _id: new Types.ObjectId(other?.id) }, { $set: { status: 'CONFIRMED' } });

  const ids = (orders: Array<{ id: string }>) => orders.map((order) => order.id);
  expect(placed?.status).toBe('PLACED');
  expect(ids(await store.list({ customerId, limit: 10 }))).toEqual([newer?.id, older?.id]);
  expect(ids(await store.list({ customerId, limit: 1 }))).toEqual([newer?.id]);
  expect(ids(await store.list({ customerId, beforeId: newer?.id, limit: 10 }))).toEqual([older?.id]);
  const everyone = ids(await store.list({ limit: 1000 }));
  expect(everyone).toEqual(expect.arrayContaining([newer?.id, older?.id, other?.id]));
  expect(everyone).not.toContain(placed?.id);
  expect(everyone).not.toContain(abandoned?.id);
  expect(ids(await store.list({ status: 'CONFIRMED', limit: 1000 }))).toEqual([other?.id]);
});
