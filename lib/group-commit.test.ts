import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { AdmissionRefused } from './admission-gate.js';
import { GroupCommit } from './group-commit.js';

/** A store write that the test finishes by hand, recording each batch it was given. */
function heldWrites() {
  const batches: number[][] = [];
  const finishers: Array<() => void> = [];
  const write = jest.fn((items: number[]) => {
    batches.push(items);
    return new Promise<Array<number | Error>>((resolve) =>
      finishers.push(() => resolve(items.map((item) => (item < 0 ? new Error(`bad ${item}`) : item * 10)))),
    );
  });
  return { write, batches, finish: () => finishers.shift()?.() };
}

/** Lets timers of zero delay and promise callbacks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes what arrives together in one write, and what arrives meanwhile in the next', async () => {
    const { write, batches, finish } = heldWrites();
    const commit = new GroupCommit({ write, maxBatch: 10, maxQueue: 100, maxWaitMs: 60_000 });
    const first = [1, 2, 3].map((n) => commit.add(n));
    await tick();
    const second = [4, 5].map((n) => commit.add(n));
    await tick();
    expect(batches).toEqual([[1, 2, 3]]);

    finish();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    await tick();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    finish();
    expect(await Promise.all(second)).toEqual([40, 50]);
  });

  it('splits a burst into writes of at most maxBatch', async () => {
    const { write, batches, finish } = heldWrites();
    const commit = new GroupCommit({ write, maxBatch: 2, maxQueue: 100, maxWaitMs: 60_000 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => commit.add(n)));
    for (let i = 0; i < 3; i++) {
      await tick();
      finish();
    }
    expect(await all).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the item the write refused, and the whole batch when the write throws', async () => {
    const failing = new GroupCommit<number, number>({ write: () => Promise.reject(new Error('store down')), maxBatch: 10, maxQueue: 10, maxWaitMs: 60_000 });
    await expect(Promise.all([failing.add(1), failing.add(2)])).rejects.toThrow('store down');

    const { write, finish } = heldWrites();
    const commit = new GroupCommit({ write, maxBatch: 10, maxQueue: 10, maxWaitMs: 60_000 });
    const [good, bad] = [commit.add(1), commit.add(-1)];
    await tick();
    finish();
    expect(await good).toBe(10);
    await expect(bad).rejects.toThrow('bad -1');
  });

  it('refuses, without writing them, items beyond the queue bound and items whose wait ran out', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { write, batches, finish } = heldWrites();
    const commit = new GroupCommit({ write, maxBatch: 1, maxQueue: 2, maxWaitMs: 1_000 });
    const first = commit.add(1);
    await tick(); // 1 is being written; 2 and 3 wait
    const [second, third] = [commit.add(2), commit.add(3)];
    await expect(commit.add(4)).rejects.toBeInstanceOf(AdmissionRefused);

    jest.advanceTimersByTime(1_001);
    finish();
    expect(await first).toBe(10);
    await expect(second).rejects.toMatchObject({ reason: 'wait-expired' });
    await expect(third).rejects.toMatchObject({ reason: 'wait-expired' });
    expect(batches).toEqual([[1]]);
  });

  it('refuses what waits once closed', async () => {
    const { write, finish } = heldWrites();
    const commit = new GroupCommit({ write, maxBatch: 1, maxQueue: 10, maxWaitMs: 60_000 });
    const first = commit.add(1);
    await tick();
    const waiting = commit.add(2);
    commit.close();
    await expect(waiting).rejects.toMatchObject({ reason: 'closed' });
    await expect(commit.add(3)).rejects.toMatchObject({ reason: 'closed' });
    finish();
    expect(await first).toBe(10);
  });
});
