/**
 * The delivery subgraph answers a baker it has read from memory for a while (KnownBakers): on the
 * real store, with the cache's clock moved by hand, so no test waits for time to pass.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type Connection, Types } from 'mongoose';
import { connectDatabase } from '../../lib/mongo.js';
import { KnownBakers } from '../../subgraphs/delivery/src/application/known-bakers.js';
import { BakerStore } from '../../subgraphs/delivery/src/store/baker.store.js';

let db: Connection;
let store: BakerStore;

beforeAll(async () => {
  db = await connectDatabase(process.env.MONGODB_URL ?? '', `t${randomUUID().slice(0, 8)}_knownbakers`);
  store = new BakerStore(db);
  await store.init();
});

afterAll(async () => {
  await db?.dropDatabase();
  await db?.close();
});

const rename = (id: string, name: string) => store.model.collection.updateOne({ _id: new Types.ObjectId(id) }, { $set: { name } });
const names = async (known: KnownBakers, ids: string[]) => (await known.findMany(ids)).map((baker) => baker.name).sort();

test('a baker read once is answered from memory until it is older than the max age, then read again', async () => {
  const clock = { at: 1_000_000, now: () => clock.at }; // lru-cache takes a start time of 0 for none
  const known = new KnownBakers(store, { maxAgeMs: 10_000, clock });
  const [ana, ben] = await Promise.all([store.insert('Ana'), store.insert('Ben')]);

  expect(await names(known, [ana.id, ben.id, ana.id])).toEqual(['Ana', 'Ben']);
  await rename(ana.id, 'Ana Maria');
  clock.at += 9_000;
  expect(await names(known, [ana.id])).toEqual(['Ana']);
  clock.at += 1_001;
  expect(await names(known, [ana.id, ben.id])).toEqual(['Ana Maria', 'Ben']);
});

test('an id that names no baker is not remembered: a baker with it is found at once', async () => {
  const clock = { at: 1_000_000, now: () => clock.at };
  const known = new KnownBakers(store, { maxAgeMs: 10_000, clock });
  const id = new Types.ObjectId();

  expect(await known.findMany([id.toHexString(), 'not-an-id'])).toEqual([]);
  await store.model.collection.insertOne({ _id: id, name: 'Cleo', active: true, createdAt: new Date(), updatedAt: new Date() });
  expect(await names(known, [id.toHexString()])).toEqual(['Cleo']);
});

test('with a max age of 0 every lookup reads the store', async () => {
  const known = new KnownBakers(store, { maxAgeMs: 0 });
  const dee = await store.insert('Dee');

  expect(await names(known, [dee.id])).toEqual(['Dee']);
  await rename(dee.id, 'Deirdre');
  expect(await names(known, [dee.id])).toEqual(['Deirdre']);
});
