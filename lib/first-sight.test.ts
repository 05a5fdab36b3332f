import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FirstSight } from './first-sight.js';

/** Lets promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Requests entering with `key`, each recording when it was let through. */
function requests(sight: FirstSight, key: string, count: number) {
  const through: number[] = [];
  const dones = Array.from({ length: count }, (_, i) =>
    sight.enter(key).then((done) => {
      through.push(i);
      return done;
    }),
  );
  return { through, dones };
}

describe('FirstSight', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const key = FirstSight.keyOf({ query: '{ products { id } }' }) as string;

  it('lets the first request with a new text through and holds the others until it is prepared', async () => {
    const sight = new FirstSight({ maxKnown: 10, maxWaitMs: 2_000 });
    const { through, dones } = requests(sight, key, 5);
    await settle();
    expect(through).toStrictEqual([0]);

    sight.markPrepared(key);
    await settle();
    expect(through).toStrictEqual([0, 1, 2, 3, 4]);
    // A later request with the text does not wait at all.
    await sight.enter(key);
    for (const done of await Promise.all(dones)) done();
  });

  it('lets one more through when the first ends without preparing the text (say it failed validation)', async () => {
    const sight = new FirstSight({ maxKnown: 10, maxWaitMs: 2_000 });
    const { through, dones } = requests(sight, key, 3);
    await settle();
    (await dones[0])?.();
    await settle();
    expect(through).toStrictEqual([0, 1]);

    (await dones[1])?.();
    await settle();
    expect(through).toStrictEqual([0, 1, 2]);
  });

  it('lets the others go on by themselves when the first stalls before preparing the text', async () => {
    const sight = new FirstSight({ maxKnown: 10, maxWaitMs: 2_000 });
    const { through } = requests(sight, key, 3);
    await settle();
    jest.advanceTimersByTime(1_999);
    await settle();
    expect(through).toStrictEqual([0]);

    jest.advanceTimersByTime(1);
    await settle();
    expect(through).toStrictEqual([0, 1, 2]);
  });

  it('holds nothing for requests without a text, or with another text', async () => {
    const sight = new FirstSight({ maxKnown: 10, maxWaitMs: 2_000 });
    const first = requests(sight, key, 1);
    const other = requests(sight, FirstSight.keyOf({ query: '{ me { id } }' }) as string, 1);
    const none = requests(sight, FirstSight.keyOf({ persistedQuery: 'abc' }) as string, 2);
    await settle();
    expect([first.through, other.through, none.through]).toStrictEqual([[0], [0], [0, 1]]);
  });

  it('tells texts apart by operation name too', () => {
    expect(FirstSight.keyOf({ query: 'query A { a } query B { b }', operationName: 'A' })).not.toBe(
      FirstSight.keyOf({ query: 'query A { a } query B { b }', operationName: 'B' }),
    );
    expect(FirstSight.keyOf(undefined)).toBeUndefined();
    expect(FirstSight.keyOf({ query: 42 })).toBeUndefined();
  });

  it('remembers at most `maxKnown` prepared texts', async () => {
    const sight = new FirstSight({ maxKnown: 2, maxWaitMs: 2_000 });
    for (const query of ['{ a }', '{ b }', '{ c }']) sight.markPrepared(FirstSight.keyOf({ query }) as string);
    // '{ a }' was forgotten when the third came: its first request prepares it again, the next waits.
    const { through } = requests(sight, FirstSight.keyOf({ query: '{ a }' }) as string, 2);
    await settle();
    expect(through).toStrictEqual([0]);
  });
});
