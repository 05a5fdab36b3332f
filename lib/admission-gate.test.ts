import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AdmissionGate, AdmissionRefused } from './admission-gate.js';

/** Lets promise callbacks run (an admitted task starts a few microtasks after `run` is called). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A task that runs until the test lets it finish. */
function heldTask() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const task = jest.fn(() => done);
  return { task, finish };
}

describe('AdmissionGate', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs at most `concurrency` tasks at once and starts the waiting ones in order', async () => {
    const gate = new AdmissionGate({ concurrency: 2, maxQueue: 10, maxWaitMs: 1_000 });
    const tasks = [heldTask(), heldTask(), heldTask(), heldTask()];
    const runs = tasks.map(({ task }) => gate.run(task));
    await settle();

    expect(tasks.map(({ task }) => task.mock.calls.length)).toEqual([1, 1, 0, 0]);
    expect([gate.running, gate.waiting]).toEqual([2, 2]);

    tasks[1]!.finish();
    await runs[1];
    await settle();
    expect(tasks.map(({ task }) => task.mock.calls.length)).toEqual([1, 1, 1, 0]);

    tasks[0]!.finish();
    await runs[0];
    await settle();
    expect(tasks[3]!.task).toHaveBeenCalledTimes(1);
    tasks[2]!.finish();
    tasks[3]!.finish();
    await Promise.all(runs);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('refuses a task at once, without running it, when the queue is full', async () => {
    const gate = new AdmissionGate({ concurrency: 1, maxQueue: 1, maxWaitMs: 1_000 });
    const running = heldTask();
    const waiting = heldTask();
    const refusedTask = jest.fn(async () => 'ran');
    const runs = [gate.run(running.task), gate.run(waiting.task)];

    const refusal = await gate.run(refusedTask).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(AdmissionRefused);
    expect((refusal as AdmissionRefused).reason).toBe('queue-full');
    expect((refusal as AdmissionRefused).retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(refusedTask).not.toHaveBeenCalled();
    running.finish();
    waiting.finish();
    await Promise.all(runs);
  });

  it('refuses a waiting task, without running it, once it has waited maxWaitMs', async () => {
    const gate = new AdmissionGate({ concurrency: 1, maxQueue: 5, maxWaitMs: 500 });
    const running = heldTask();
    const late = jest.fn(async () => 'ran');
    const first = gate.run(running.task);
    const refused = gate.run(late).catch((error: unknown) => error);
    await settle();

    jest.advanceTimersByTime(499);
    expect(gate.waiting).toBe(1);
    jest.advanceTimersByTime(1);

    expect(((await refused) as AdmissionRefused).reason).toBe('wait-expired');
    expect(gate.waiting).toBe(0);
    running.finish();
    await first;
    expect(late).not.toHaveBeenCalled();
  });

  it('never cuts off a task that has started, however long it runs', async () => {
    const gate = new AdmissionGate({ concurrency: 1, maxQueue: 0, maxWaitMs: 10 });
    const slow = heldTask();
    const run = gate.run(slow.task);
    await settle();

    jest.advanceTimersByTime(60_000);
    slow.finish();

    await expect(run).resolves.toBeUndefined();
  });

  it('refuses what waits and what comes after close, and lets running tasks finish', async () => {
    const gate = new AdmissionGate({ concurrency: 1, maxQueue: 5, maxWaitMs: 1_000 });
    const running = heldTask();
    const waiting = jest.fn(async () => 'ran');
    const first = gate.run(running.task);
    const queued = gate.run(waiting).catch((error: unknown) => error);

    gate.close();
    gate.close();

    expect(((await queued) as AdmissionRefused).reason).toBe('closed');
    await expect(gate.run(waiting)).rejects.toBeInstanceOf(AdmissionRefused);
    running.finish();
    await expect(first).resolves.toBeUndefined();
    expect(waiting).not.toHaveBeenCalled();
  });

  it('fails fast on options that make no sense', () => {
    expect(() => new AdmissionGate({ concurrency: 0, maxQueue: 1, maxWaitMs: 1 })).toThrow(/concurrency/);
  });

  it("waits no longer than a task's own shorter wait, and refuses at once one that has none left", async () => {
    const gate = new AdmissionGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 10_000 });
    const running = heldTask();
    void gate.run(running.task);
    await settle();

    const hurried = gate.run(async () => 'ran', 500);
    await expect(gate.run(async () => 'ran', 0)).rejects.toMatchObject({ reason: 'wait-expired' });
    jest.advanceTimersByTime(501);
    await expect(hurried).rejects.toMatchObject({ reason: 'wait-expired' });
    running.finish();
  });
});
