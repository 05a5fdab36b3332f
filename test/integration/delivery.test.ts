/**
 * The delivery context with its real processes: the delivery subgraph and the workers, on real
 * FerretDB and Redis. The order context is not running: these tests play its part by publishing
 * OrderStatusChanged events to `delivery-events` as its outbox relay would, and read what delivery
 * tells it from the `order-events` queue. The staff mutations' direct call to the order subgraph
 * therefore fails and is only logged, as it should be.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Queue, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import type { Viewer } from '../../lib/auth.js';
import { isEvent, newEvent, Queues, type EventJob, type EventPayloads, type EventType, type OutboxEvent } from '../../lib/events.js';
import { EventPublisher } from '../../lib/outbox.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';
import { storeCommands } from '../support/store-commands.js';
import { eventually } from '../support/wait.js';

const STAFF: Viewer = { id: 'staff-1', roles: ['STAFF'] };
const ALICE: Viewer = { id: 'alice', roles: ['CUSTOMER'] };

let stack: Stack;
let deliveryUrl: string;
let redis: Redis;
let publisher: EventPublisher;
let deliveryEvents: Queue;
let orderEvents: Queue<EventJob>;
let promiseChecks: Queue;

beforeAll(async () => {
  stack = await startStack({ services: ['delivery', 'workers'], env: { WORKER_LOCK_MS: '2000', OUTBOX_SWEEP_MS: '500' } });
  deliveryUrl = stack.services.url('delivery');
  const redisUrl = process.env.REDIS_URL;
  assert.ok(redisUrl, 'REDIS_URL is set by npm test');
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  publisher = new EventPublisher(redis, stack.redisPrefix);
  const queue = <T>(name: string) => new Queue<T>(name, { connection: redis, prefix: stack.redisPrefix });
  deliveryEvents = queue(Queues.deliveryEvents);
  orderEvents = queue<EventJob>(Queues.orderEvents);
  promiseChecks = queue(Queues.promiseChecks);
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([deliveryEvents?.close(), orderEvents?.close(), promiseChecks?.close(), publisher?.close()]);
  if (redis) {
    // The stack drops its databases; its Redis keys are ours to drop.
    const keys = await redis.keys(`${stack.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
});

// ------------------------------------------------------------------------------------- helpers

type Fulfilment = 'PICKUP' | 'DELIVERY';

interface Delivery {
  id: string;
  status: string;
  delayed: boolean;
  updatedAt: string;
  baker: { id: string; name: string } | null;
}

interface Baker {
  id: string;
  name: string;
  openOrders: number;
  active: boolean;
}

const newOrderId = () => new Types.ObjectId().toHexString();
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1_000).toISOString();

function orderStatusChanged(
  orderId: string,
  status: EventPayloads['OrderStatusChanged']['status'],
  options: { fulfilment?: Fulfilment; promisedBy?: string | null } = {},
): OutboxEvent<'OrderStatusChanged'> {
  return newEvent('OrderStatusChanged', {
    orderId,
    customerId: 'alice',
    status,
    reason: status === 'REJECTED' ? 'STORE_REJECTED' : null,
    fulfilment: options.fulfilment ?? 'PICKUP',
    promisedBy: options.promisedBy === undefined ? inSeconds(3600) : options.promisedBy,
    at: new Date().toISOString(),
  });
}

/** Publishes as the order context's relay does: to every consumer's queue, job id = event id. */
async function publish(...events: OutboxEvent[]): Promise<void> {
  for (const event of events) await publisher.publishMany([{ event, announcement: null }]);
}

const DELIVERY = 'id status delayed updatedAt baker { id name }';

/** Order.delivery as the gateway asks the delivery subgraph for it. */
async function deliveryOf(orderId: string): Promise<Delivery | null> {
  const { data, errors } = await stack.graphql<{ _entities: Array<{ delivery: Delivery | null } | null> }>(
    `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { delivery { ${DELIVERY} } } } }`,
    { url: deliveryUrl, token: await stack.callerToken(STAFF), variables: { representations: [{ __typename: 'Order', id: orderId }] } },
  );
  expect(errors).toBeUndefined();
  return data?._entities[0]?.delivery ?? null;
}

const assigned = (orderId: string) => eventually(() => deliveryOf(orderId), { what: `order ${orderId} to be assigned` });

async function bakers(): Promise<Baker[]> {
  const { data, errors } = await stack.graphql<{ bakers: Baker[] }>('{ bakers { id name openOrders active } }', {
    url: deliveryUrl,
    token: await stack.callerToken(STAFF),
  });
  expect(errors).toBeUndefined();
  assert.ok(data);
  return data.bakers;
}

const openOrdersByBaker = async () => Object.fromEntries((await bakers()).map((baker) => [baker.id, baker.openOrders]));

/** Waits until the workers have handled the event (a repeat of a known id is dropped and stays handled). */
const handled = (event: OutboxEvent) =>
  eventually(async () => (await deliveryEvents.getJobState(event.id)) === 'completed', { what: `event ${event.type} ${event.id} to be handled` });

const ALL_STATES: JobType[] = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'];

/** What the delivery context told the order context about one order, oldest first. */
async function toldOrder(orderId: string): Promise<EventJob[]> {
  const jobs = await orderEvents.getJobs(ALL_STATES);
  return jobs
    .filter((job) => job.data.payload.orderId === orderId)
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((job) => job.data);
}

/** Waits until the order context has been told at least `count` events of `type` about the order; returns them. */
function told<T extends EventType>(orderId: string, type: T, count = 1): Promise<Array<EventJob<T>>> {
  return eventually(
    async () => {
      const events = (await toldOrder(orderId)).filter((event): event is EventJob<T> => isEvent(event, type));
      return events.length >= count && events;
    },
    { what: `${count} ${type} about order ${orderId} on order-events` },
  );
}

type StaffMutation = 'startBaking' | 'markReady' | 'dispatchOrder' | 'completeOrder';

/** As staff (through the gateway), unless another token (or null: none) is given. */
async function move(mutation: StaffMutation, orderId: string, token?: string | null) {
  token = token === undefined ? await stack.callerToken(STAFF) : token;
  return stack.graphql<Record<StaffMutation, { id: string; delivery: { status: string } | null }>>(
    `mutation($orderId: ID!) { ${mutation}(orderId: $orderId) { id delivery { status } } }`,
    { url: deliveryUrl, token: token ?? undefined, variables: { orderId } },
  );
}

async function moves(orderId: string, ...mutations: StaffMutation[]): Promise<void> {
  for (const mutation of mutations) {
    const { errors } = await move(mutation, orderId);
    expect({ mutation, errors }).toStrictEqual({ mutation, errors: undefined });
  }
}

const code = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;

// --------------------------------------------------------------------------------------- tests

describe('assigning confirmed orders to bakers', () => {
  test('gives each order to the active baker with the fewest open orders, ties to the oldest baker', async () => {
    const team = await bakers();
    expect(team.length).toBe(3); // the demo bakers are seeded
    expect(team.map((baker) => baker.openOrders)).toStrictEqual([0, 0, 0]);
    const oldest = [...team].sort((a, b) => a.id.localeCompare(b.id))[0];
    assert.ok(oldest);

    const first = newOrderId();
    await publish(orderStatusChanged(first, 'CONFIRMED'));
    expect((await assigned(first)).baker?.id).toBe(oldest.id); // all idle: the oldest baker gets it

    const rest = Array.from({ length: 5 }, newOrderId);
    await publish(...rest.map((orderId) => orderStatusChanged(orderId, 'CONFIRMED')));
    const deliveries = await Promise.all(rest.map(assigned));
    for (const delivery of deliveries) expect(delivery.status).toBe('ASSIGNED');

    expect(Object.values(await openOrdersByBaker())).toStrictEqual([2, 2, 2]);
    const perBaker = new Map<string, number>();
    for (const { baker } of [await assigned(first), ...deliveries]) {
      assert.ok(baker);
      perBaker.set(baker.id, (perBaker.get(baker.id) ?? 0) + 1);
    }
    expect([...perBaker.values()]).toStrictEqual([2, 2, 2]); // the deliveries agree with the counts
  });

  test('the same event twice, or a second CONFIRMED for the order, assigns it once', async () => {
    const orderId = newOrderId();
    const confirmed = orderStatusChanged(orderId, 'CONFIRMED');
    await publish(confirmed, confirmed);
    const delivery = await assigned(orderId);
    const again = orderStatusChanged(orderId, 'CONFIRMED');
    await publish(again);
    await handled(again);

    expect(await deliveryOf(orderId)).toStrictEqual(delivery);
    const assignedEvents = await told(orderId, 'BakerAssigned');
    expect((await toldOrder(orderId)).map((event) => event.type)).toStrictEqual(['BakerAssigned']);
    expect(assignedEvents[0]?.payload).toStrictEqual({ orderId, deliveryId: delivery.id, bakerId: delivery.baker?.id, bakerName: delivery.baker?.name });
  });

  test("an assignment publishes its event from the insert's own outbox: the delivery is written twice and never read", async () => {
    const deliveryCommands = async () => new Map([...(await storeCommands(stack, 'workers'))].filter(([command]) => command.endsWith(' deliveries')));
    const before = await deliveryCommands();
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED'));
    await told(orderId, 'BakerAssigned');
    // The outbox is emptied right after the publish.
    const after = await eventually(
      async () => {
        const now = await deliveryCommands();
        return (now.get('updateOne deliveries') ?? 0) > (before.get('updateOne deliveries') ?? 0) && now;
      },
      { what: 'the outbox to be emptied' },
    );

    const made = (command: string) => (after.get(command) ?? 0) - (before.get(command) ?? 0);
    expect({ insertOne: made('insertOne deliveries'), updateOne: made('updateOne deliveries'), findOne: made('findOne deliveries') }).toStrictEqual({
      insertOne: 1,
      updateOne: 1,
      findOne: 0,
    });
    expect((await assigned(orderId)).status).toBe('ASSIGNED');
  });

  test('an order cancelled before it is assigned leaves a tombstone: a late CONFIRMED assigns nothing', async () => {
    const orderId = newOrderId();
    const before = await openOrdersByBaker();
    await publish(orderStatusChanged(orderId, 'CANCELLED'));
    const tombstone = await eventually(() => deliveryOf(orderId), { what: 'the tombstone' });
    expect(tombstone.status).toBe('CANCELLED');
    expect(tombstone.baker).toBeNull();

    const late = orderStatusChanged(orderId, 'CONFIRMED');
    await publish(late);
    await handled(late);
    expect(await deliveryOf(orderId)).toStrictEqual(tombstone);
    expect(await openOrdersByBaker()).toStrictEqual(before);
    expect(await toldOrder(orderId)).toStrictEqual([]);
  });

  test('a cancelled or rejected order is taken back from its baker', async () => {
    for (const status of ['CANCELLED', 'REJECTED'] as const) {
      const orderId = newOrderId();
      await publish(orderStatusChanged(orderId, 'CONFIRMED'));
      const { baker } = await assigned(orderId);
      assert.ok(baker);
      const load = (await openOrdersByBaker())[baker.id];

      await publish(orderStatusChanged(orderId, status));
      await eventually(async () => (await deliveryOf(orderId))?.status === 'CANCELLED', { what: `the delivery to be cancelled (${status})` });
      expect((await openOrdersByBaker())[baker.id]).toBe((load ?? 0) - 1);
    }
  });

  test('other status changes of the order are not sent to delivery, and are ignored should one come', async () => {
    const orderId = newOrderId();
    const pending = orderStatusChanged(orderId, 'PAYMENT_PENDING');
    const baking = orderStatusChanged(orderId, 'BAKING');
    await publish(pending, baking);
    expect([await deliveryEvents.getJobState(pending.id), await deliveryEvents.getJobState(baking.id)]).toStrictEqual(['unknown', 'unknown']);

    // As a publisher that routed them there would (an older release of the order context).
    await deliveryEvents.add(pending.type, { eventId: pending.id, type: pending.type, payload: pending.payload } satisfies EventJob, { jobId: pending.id });
    await handled(pending);
    expect(await deliveryOf(orderId)).toBeNull();
  });

  test('with the workers down, orders are assigned once they return', async () => {
    await stack.services.stopOne('workers');
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED'));
    expect(await deliveryOf(orderId)).toBeNull();
    await stack.services.startOne('workers');
    expect((await assigned(orderId)).status).toBe('ASSIGNED');
  });

  test('a job retried after its worker was killed mid-job assigns nothing new', async () => {
    // The worker assigns, then hangs before acknowledging the job; we kill it there.
    await stack.services.stopOne('workers');
    await stack.services.startOne('workers', { TEST_HANG_AFTER_HANDLER: Queues.deliveryEvents });
    const openBefore = Object.values(await openOrdersByBaker()).reduce((sum, open) => sum + open, 0);
    const orderId = newOrderId();
    const confirmed = orderStatusChanged(orderId, 'CONFIRMED');
    await publish(confirmed);
    await eventually(async () => (await redis.get(`${stack.redisPrefix}:test:hung:${Queues.deliveryEvents}`)) === confirmed.id, {
      what: 'the worker to hang after its work',
    });
    const delivery = await assigned(orderId);
    await stack.services.stopOne('workers', 'SIGKILL');

    await stack.services.startOne('workers');
    await handled(confirmed); // retried once its lock (WORKER_LOCK_MS) ran out
    expect(await deliveryOf(orderId)).toStrictEqual(delivery);
    expect(Object.values(await openOrdersByBaker()).reduce((sum, open) => sum + open, 0)).toBe(openBefore + 1);
    await told(orderId, 'BakerAssigned');
    expect((await toldOrder(orderId)).map((event) => event.type)).toStrictEqual(['BakerAssigned']);
    expect(await promiseChecks.getJob(`promise-${orderId}`)).toBeTruthy(); // the promise check is scheduled
  });
});

describe('staff moving orders on', () => {
  test('a pickup order is baked, made ready and completed, and is never dispatched', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED', { fulfilment: 'PICKUP' }));
    await assigned(orderId);

    const baking = await move('startBaking', orderId);
    expect(baking.data?.startBaking).toStrictEqual({ id: orderId, delivery: { status: 'BAKING' } });
    expect((await move('markReady', orderId)).data?.markReady.delivery?.status).toBe('READY');
    const dispatch = await move('dispatchOrder', orderId);
    expect(code(dispatch)).toBe('INVALID_TRANSITION');
    expect(dispatch.errors?.[0]?.message ?? '').toMatch(/pickup/);
    expect((await move('completeOrder', orderId)).data?.completeOrder.delivery?.status).toBe('COMPLETED');

    expect((await told(orderId, 'DeliveryProgressed', 3)).map((event) => event.payload)).toStrictEqual(
      ['BAKING', 'READY', 'COMPLETED'].map((status) => ({ orderId, status })),
    );
  });

  test('a delivery order goes out for delivery before it is completed', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED', { fulfilment: 'DELIVERY' }));
    await assigned(orderId);
    await moves(orderId, 'startBaking', 'markReady');
    expect(code(await move('completeOrder', orderId))).toBe('INVALID_TRANSITION'); // not delivered yet
    await moves(orderId, 'dispatchOrder', 'completeOrder');
    expect((await deliveryOf(orderId))?.status).toBe('COMPLETED');
    expect((await told(orderId, 'DeliveryProgressed', 4)).map((event) => event.payload.status)).toStrictEqual([
      'BAKING',
      'READY',
      'OUT_FOR_DELIVERY',
      'COMPLETED',
    ]);
  });

  test('a move out of order is INVALID_TRANSITION and changes nothing', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED'));
    await assigned(orderId);
    const skipped = await move('markReady', orderId);
    expect(code(skipped)).toBe('INVALID_TRANSITION');
    expect(skipped.errors?.[0]?.message ?? '').toMatch(/it is ASSIGNED, not BAKING/);
    await moves(orderId, 'startBaking');
    expect(code(await move('startBaking', orderId))).toBe('INVALID_TRANSITION'); // not twice
    expect((await deliveryOf(orderId))?.status).toBe('BAKING');
  });

  test('ten staff starting the same order at once: exactly one moves it', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED'));
    await assigned(orderId);
    const results = await Promise.all(Array.from({ length: 10 }, () => move('startBaking', orderId)));
    expect(results.filter((result) => result.errors === undefined).length).toBe(1);
    expect(results.filter((result) => code(result) === 'INVALID_TRANSITION').length).toBe(9);
  });

  test('a cancelled order, an unassigned one and a malformed id are refused', async () => {
    const cancelled = newOrderId();
    await publish(orderStatusChanged(cancelled, 'CONFIRMED'));
    await assigned(cancelled);
    await publish(orderStatusChanged(cancelled, 'CANCELLED'));
    await eventually(async () => (await deliveryOf(cancelled))?.status === 'CANCELLED', { what: 'the cancellation' });
    expect(code(await move('startBaking', cancelled))).toBe('INVALID_TRANSITION');

    const unassigned = await move('startBaking', newOrderId());
    expect(code(unassigned)).toBe('INVALID_TRANSITION');
    expect(unassigned.errors?.[0]?.message ?? '').toMatch(/not assigned to a baker yet/);

    const malformed = await move('startBaking', 'not-an-order');
    expect(malformed.errors?.[0]?.extensions).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'orderId' });
  });

  test('only staff move orders on', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED'));
    await assigned(orderId);
    expect(code(await move('startBaking', orderId, await stack.callerToken(ALICE)))).toBe('FORBIDDEN');
    expect(code(await move('startBaking', orderId, null))).toBe('UNAUTHENTICATED');
    const forbidden = await stack.graphql('{ bakers { id } }', { url: deliveryUrl, token: await stack.callerToken(ALICE) });
    expect(code(forbidden)).toBe('FORBIDDEN');
    expect((await deliveryOf(orderId))?.status).toBe('ASSIGNED');
  });
});

describe('delivery promises', () => {
  test('an order not completed by its promise time becomes delayed, once', async () => {
    const orderId = newOrderId();
    const confirmed = orderStatusChanged(orderId, 'CONFIRMED', { promisedBy: inSeconds(1) });
    await publish(confirmed, orderStatusChanged(orderId, 'CONFIRMED', { promisedBy: inSeconds(1) }));
    const delivery = await assigned(orderId);
    expect(delivery.delayed).toBe(false);

    await eventually(async () => (await deliveryOf(orderId))?.delayed, { what: 'the delivery to be delayed' });
    await eventually(async () => (await promiseChecks.getJobState(`promise-${orderId}`)) === 'completed', { what: 'the promise check to finish' });
    expect((await told(orderId, 'DeliveryDelayed')).map((event) => event.payload)).toStrictEqual([{ orderId, promisedBy: confirmed.payload.promisedBy }]);
    const checks = (await promiseChecks.getJobs(ALL_STATES)).filter((job) => job.id === `promise-${orderId}`);
    expect(checks.length).toBe(1); // one check per order, however often it was scheduled
  });

  test('an order completed before its promise time is not delayed', async () => {
    const orderId = newOrderId();
    await publish(orderStatusChanged(orderId, 'CONFIRMED', { promisedBy: inSeconds(5) }));
    await assigned(orderId);
    await moves(orderId, 'startBaking', 'markReady', 'completeOrder');
    await eventually(async () => (await promiseChecks.getJobState(`promise-${orderId}`)) === 'completed', { what: 'the promise check to run' });
    expect((await deliveryOf(orderId))?.delayed).toBe(false);
    expect((await toldOrder(orderId)).filter((event) => event.type === 'DeliveryDelayed').length).toBe(0);
  });
});
