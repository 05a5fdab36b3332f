/**
 * The MongoDB driver as this project installs it (patches/mongoose+mongodb+7.8.0.patch): a command
 * written to a connection whose socket the store has just closed fails, instead of waiting forever.
 *
 * When the store goes away, Node destroys the socket a moment before the connection hears its
 * 'close' event. A command written in between is taken without a word: `write` returns false and
 * the socket never drains nor errors. Unpatched, the driver waited for the drain for ever. When the
 * command was its monitor's heartbeat (asked for at once by the failure of another connection to
 * the same store), the monitor never checked the store again, and a process that lost its store
 * for a second never found it again: the store-restart test caught it, one run in ten.
 */
import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Connection } from 'mongoose';
import { connectDatabase, closeDatabase, pingDatabase } from '../../lib/mongo.js';

/** The driver's own parts this test reaches into: the connection its monitor holds. */
interface DriverConnection {
  socket: EventEmitter & { destroy(): void };
  command(ns: { db: string; collection: string }, command: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}
interface DriverTopology {
  s: { servers: Map<string, { monitor?: { connection: DriverConnection | null } }> };
}

let connection: Connection;

beforeAll(async () => {
  connection = await connectDatabase(process.env.MONGODB_URL ?? '', `driver_closed_socket_${process.pid}`);
});
afterAll(async () => {
  await closeDatabase(connection);
});

test('a command written to a socket destroyed before its close event fails with a network error; the store is found again', async () => {
  await pingDatabase(connection);
  const topology = (connection.getClient() as unknown as { topology: DriverTopology }).topology;
  const [server] = topology.s.servers.values();
  const monitorConnection = server?.monitor?.connection;
  if (!monitorConnection) throw new Error('the monitor holds no connection after a ping');

  // As when the store closes it: destroyed now, 'close' emitted on a later turn of the event loop.
  const closed = once(monitorConnection.socket, 'close');
  monitorConnection.socket.destroy();
  const outcome = monitorConnection.command({ db: 'admin', collection: '$cmd' }, { hello: 1 }).then(
    () => 'answered',
    (error: unknown) => error,
  );
  await closed;
  // Once the close is heard, the command has failed: one more turn of the event loop for its chain.
  await new Promise((resolve) => setImmediate(resolve));
  expect(await Promise.race([outcome, 'still waiting'])).toMatchObject({ name: 'MongoNetworkError', message: expect.stringMatching(/closed/) });

  // The connection is given up, not the store: the next request is answered.
  await expect(pingDatabase(connection)).resolves.toBeUndefined();
});
