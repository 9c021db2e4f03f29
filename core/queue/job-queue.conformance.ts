/**
 * The one suite every JobQueue implementation passes, unmodified. Each test gets a fresh queue from
 * `setup` and its own `test-<uuid>` queue names. Timing asserts are lower bounds only.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentJobError, type DeadLetter, type Job, type JobQueue } from './job-queue.js';

export interface JobQueueConformanceContext {
  queue: JobQueue;
  /** Reads back what the queue's dead-letter sink recorded, newest first. */
  deadLetters: { list(page: { limit: number; offset?: number; queue?: string }): Promise<DeadLetter[]> };
  /** Stops the queue (again: some tests stop it themselves) and releases what `setup` opened. */
  teardown(): Promise<void>;
}

const WAIT_TIMEOUT_MS = 10_000;
/** Timers may fire a hair early relative to Date.now(); lower bounds allow this much. */
const TIMER_SLACK_MS = 15;

export function jobQueueConformance(name: string, setup: () => Promise<JobQueueConformanceContext>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    let context: JobQueueConformanceContext | undefined;
    let queue: JobQueue;

    beforeEach(async () => {
      context = await setup();
      queue = context.queue;
    });

    afterEach(async () => {
      await context?.teardown();
      context = undefined;
    });

    const queueName = () => `test-${randomUUID()}`;

    it('handles a sent job once, with its data', async () => {
      const name = queueName();
      const seen: Job<{ n: number; tags: string[] }>[] = [];
      const first = await queue.send(name, { n: 1, tags: ['a', 'b'] });
      await queue.work<{ n: number; tags: string[] }>(name, async (job) => {
        seen.push(job);
      });
      expect(first).toEqual(expect.any(String));
      await waitFor(() => seen.length >= 1, 'first job handled');
      // A later job on the same single-slot queue proves the first one was acknowledged, not redelivered.
      const second = await queue.send(name, { n: 2, tags: [] });
      await waitFor(() => seen.some((job) => job.id === second), 'second job handled');

      expect(seen.map((job) => job.data)).toEqual([
        { n: 1, tags: ['a', 'b'] },
        { n: 2, tags: [] },
      ]);
      expect(seen[0]).toMatchObject({ id: first, queue: name, attempt: 1 });
      expect(seen[0]?.maxAttempts).toBeGreaterThanOrEqual(1);
    });

    it('handles jobs in parallel up to the concurrency', async () => {
      const name = queueName();
      let running = 0;
      let maxRunning = 0;
      let done = 0;
      await queue.work(
        name,
        async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          // Hold every job until all three overlap (or give up, and the assert below tells).
          await waitFor(() => maxRunning >= 3, 'three jobs running at once', 5_000).catch(() => {});
          running--;
          done++;
        },
        { concurrency: 3 },
      );
      for (let i = 0; i < 3; i++) await queue.send(name, { i });
      await waitFor(() => done === 3, 'three jobs handled');
      expect(maxRunning).toBe(3);
    });

    it('retries a failing handler and succeeds on attempt 3, counting attempts', async () => {
      const name = queueName();
      const seen: Job<unknown>[] = [];
      let succeeded = false;
      await queue.work(name, async (job) => {
        seen.push(job);
        if (job.attempt < 3) throw new Error(`fails on attempt ${job.attempt}`);
        succeeded = true;
      });
      const id = await queue.send(name, { retry: true }, { attempts: 3, backoffMs: 0 });
      await waitFor(() => succeeded, 'third attempt succeeded');

      expect(seen.map((job) => job.attempt)).toEqual([1, 2, 3]);
      expect(seen.every((job) => job.id === id && job.maxAttempts === 3)).toBe(true);
      expect(await context!.deadLetters.list({ limit: 10, queue: name })).toEqual([]);
    });

    it('waits at least the backoff before retrying', async () => {
      const name = queueName();
      const backoffMs = 300;
      const attempts: { attempt: number; at: number }[] = [];
      await queue.work(name, async (job) => {
        attempts.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt === 1) throw new Error('first attempt fails');
      });
      await queue.send(name, {}, { attempts: 2, backoffMs });
      await waitFor(() => attempts.length === 2, 'second attempt');

      const [first, second] = attempts;
      expect(second!.attempt).toBe(2);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(backoffMs - TIMER_SLACK_MS);
    });

    it('does not run a delayed job before its delay', async () => {
      const name = queueName();
      const delayMs = 400;
      let handledAt = 0;
      await queue.work(name, async () => {
        handledAt = Date.now();
      });
      const sentAt = Date.now();
      await queue.send(name, {}, { delayMs });
      await waitFor(() => handledAt > 0, 'delayed job handled');

      expect(handledAt - sentAt).toBeGreaterThanOrEqual(delayMs - TIMER_SLACK_MS);
    });

    it('adds nothing for a dedupe key whose job is still pending, and frees the key once it finished', async () => {
      const name = queueName();
      const dedupeKey = `activity-${randomUUID()}`;
      const handled: unknown[] = [];
      const first = await queue.send(name, { copy: 1 }, { dedupeKey });
      const second = await queue.send(name, { copy: 2 }, { dedupeKey });
      const otherKey = await queue.send(name, { copy: 3 }, { dedupeKey: `${dedupeKey}-other` });
      expect(first).toEqual(expect.any(String));
      expect(second).toBeNull();
      expect(otherKey).toEqual(expect.any(String));

      await queue.work(name, async (job) => {
        handled.push(job.data);
      });
      await waitFor(() => handled.length === 2, 'both distinct jobs handled');
      // Sent back to back, they may share a timestamp: their order is not part of the contract.
      expect(handled).toHaveLength(2);
      expect(handled).toEqual(expect.arrayContaining([{ copy: 1 }, { copy: 3 }]));

      // The finished job releases its key; the queue may acknowledge a moment after the handler returns.
      let again: string | null = null;
      await waitFor(async () => (again = await queue.send(name, { copy: 4 }, { dedupeKey })) !== null, 'key released');
      await waitFor(() => handled.length === 3, 'job with the released key handled');
      expect(again).not.toBe(first);
      expect(handled[2]).toEqual({ copy: 4 });
    });

    it('keeps the dedupe key while the job runs and while it waits for a retry', async () => {
      const name = queueName();
      const dedupeKey = `activity-${randomUUID()}`;
      const duplicates: (string | null)[] = [];
      const attempts: unknown[] = [];
      let probed = false;
      let succeeded = false;
      await queue.work<{ copy: number }>(name, async (job) => {
        attempts.push(job.data);
        // Running: the queue holds the job as active while this awaits.
        duplicates.push(await queue.send(name, { copy: 2 }, { dedupeKey }));
        if (job.attempt === 1) throw new Error('first attempt fails');
        await waitFor(() => probed, 'probing finished');
        succeeded = true;
      });
      await queue.send(name, { copy: 1 }, { dedupeKey, attempts: 2, backoffMs: 300 });
      await waitFor(() => attempts.length === 1, 'first attempt');
      // Between the attempts: failing, then waiting out the backoff (the second attempt holds until we stop).
      await waitFor(async () => {
        duplicates.push(await queue.send(name, { copy: 3 }, { dedupeKey }));
        return attempts.length === 2;
      }, 'second attempt');
      probed = true;
      await waitFor(() => succeeded, 'second attempt succeeded');

      expect(duplicates.length).toBeGreaterThanOrEqual(3);
      expect(duplicates.every((id) => id === null)).toBe(true);
      expect(attempts).toEqual([{ copy: 1 }, { copy: 1 }]);
    });

    it('writes a job that exhausted its attempts to the dead letters once', async () => {
      const name = queueName();
      const message = `always fails ${randomUUID()}`;
      let calls = 0;
      await queue.work(name, async () => {
        calls++;
        throw new Error(message);
      });
      const id = await queue.send(name, { poison: true }, { attempts: 2, backoffMs: 0 });
      const recorded = async () => context!.deadLetters.list({ limit: 10, queue: name });
      await waitFor(async () => (await recorded()).length > 0, 'dead letter recorded');
      await queue.stop();

      expect(calls).toBe(2);
      expect(await recorded()).toEqual([
        expect.objectContaining({ queue: name, jobId: id, data: { poison: true }, error: message, attempts: 2 }),
      ]);
    });

    it('dead-letters a permanent failure at once, without retrying it', async () => {
      const name = queueName();
      let calls = 0;
      await queue.work(name, async () => {
        calls++;
        throw new PermanentJobError('400 invalid number');
      });
      const id = await queue.send(name, { to: 'not a number' }, { attempts: 5, backoffMs: 0 });
      const recorded = async () => context!.deadLetters.list({ limit: 10, queue: name });
      await waitFor(async () => (await recorded()).length > 0, 'dead letter recorded');
      // Long enough for a retry to have happened, had there been one.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await queue.stop();

      expect(calls).toBe(1);
      expect(await recorded()).toEqual([
        expect.objectContaining({ queue: name, jobId: id, error: '400 invalid number', attempts: 1 }),
      ]);
    });

    it('lets a running handler finish when stopped', async () => {
      const name = queueName();
      let started = false;
      let finished = false;
      await queue.work(name, async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
      });
      await queue.send(name, {});
      await waitFor(() => started, 'handler started');
      await queue.stop();
      expect(finished).toBe(true);
    });
  });
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
