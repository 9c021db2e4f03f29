/**
 * The production shape: two API instances (MINSHENG_ROLE=api) and two workers (MINSHENG_ROLE=worker), four
 * processes on one PostgreSQL database and one Redis. API instances store and acknowledge; every turn is a
 * queued job a worker runs. A citizen's client may reach any API instance on any request (no session
 * affinity), a worker killed with SIGKILL loses nothing, and a handoff the bot raises in a worker reaches an
 * agent whose desk is connected to the other API instance. (test/handoff-two-gateways.int.test.ts covers
 * the relay between two `all` instances, whose turns run inline.)
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seqOfActivityId } from '../core/activity.js';
import { Citizen, relayAcrossInstances, type SeenActivity } from './support/desk-client.js';
import { eventually, TEST_DIRECTLINE_SECRET } from './support/gateway.js';
import { freePort, killHard, spawnGateway, stopGracefully, type GatewayProcess } from './support/process.js';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresUnavailable,
  REDIS_URL,
  redisUnavailable,
  type TestDatabase,
} from './support/services.js';
import { createStaffIn } from './support/staff.js';

const skip = (await postgresUnavailable()) ?? (await redisUnavailable());

/** A consultation the demo knowledge base answers: an answer and "did this help?", both replying to it. */
const QUESTION = '社保卡丢了怎么补办';

/** Turns a gateway's /metrics says it completed (0 when it never ran one). */
async function completedTurns(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const match = /^minsheng_jobs_total\{queue="assistant-turn",outcome="completed"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

const repliesTo = (activities: SeenActivity[], id: string) =>
  activities.filter((a) => (a as { replyToId?: string }).replyToId === id);

describe.skipIf(skip)('two API instances and two workers on one PostgreSQL and Redis', () => {
  const prefix = `minsheng-test-${randomUUID()}`;
  let database: TestDatabase;
  let apiA: GatewayProcess;
  let apiB: GatewayProcess;
  let workers: GatewayProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      MINSHENG_REDIS_PREFIX: prefix,
      DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET,
      NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
      MINSHENG_DATA_DIR: path.join(tmpdir(), `minsheng-scale-${randomUUID()}`),
      ANALYTICS_REPORTS: 'off',
      // Two turns at a time per worker, so that a burst is spread over both of them.
      WORKER_CONCURRENCY: '2',
    };
    // The first applies the migrations and loads the demo knowledge base; the others then start together.
    apiA = await spawnGateway({ ...env, MINSHENG_ROLE: 'api' }, await freePort());
    const [b, ...w] = await Promise.all([
      spawnGateway({ ...env, MINSHENG_ROLE: 'api' }, await freePort()),
      spawnGateway({ ...env, MINSHENG_ROLE: 'worker' }, await freePort()),
      spawnGateway({ ...env, MINSHENG_ROLE: 'worker' }, await freePort()),
    ]);
    apiB = b!;
    workers = w;
    await createStaffIn(database.url, { username: 'li', displayName: '李坐席', roles: ['agent'] });
  }, 60_000);

  /** Stored questions no turn has answered yet, across all conversations. */
  const unanswered = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select count(*)::int as n from activities where direction = 'inbound' and processed_at is null`,
      );
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  };

  afterAll(async () => {
    for (const gateway of [apiA, apiB, ...workers]) if (gateway) await stopGracefully(gateway);
    await database?.drop();
    await deleteRedisKeys(prefix);
  });

  it('continues a web chat conversation on either API instance, streams on A, replays on B', async () => {
    const onA = await Citizen.open(apiA.url);
    const onB = onA.at(apiB.url);
    const stream = await onA.stream();

    const first = await onA.say(QUESTION);
    await eventually(() => (repliesTo(stream.activities, first).length >= 2 ? true : undefined), 15_000, 'answer 1');
    const watermark = stream.watermark!;
    // The client's next request lands on B: same token, same conversation, the replies on A's stream.
    const second = await onB.say('电动车怎么上牌');
    await eventually(() => (repliesTo(stream.activities, second).length >= 2 ? true : undefined), 15_000, 'answer 2');
    expect(repliesTo(stream.activities, second).map((a) => a.from.role)).toEqual(['bot', 'bot']);
    stream.close();

    // The client lost its socket after the first exchange and reconnects through B with the watermark it had.
    const resumed = await onB.stream(watermark);
    const all = await onB.activities();
    const expected = all.filter((a) => seqOfActivityId(a.id) > Number(watermark)).map((a) => a.id);
    expect(expected[0]).toBe(second);
    await eventually(() => (resumed.activities.length >= expected.length ? true : undefined), 10_000, 'the replay');
    await new Promise((r) => setTimeout(r, 300)); // anything sent twice would have arrived by now
    expect(resumed.activities.map((a) => a.id)).toEqual(expected);
    expect(resumed.watermark).toBe(String(seqOfActivityId(all.at(-1)!.id)));
    resumed.close();

    // The API instances ran none of these turns: the workers did.
    expect(await completedTurns(apiA)).toBe(0);
    expect(await completedTurns(apiB)).toBe(0);
    const byWorkers = await Promise.all(workers.map(completedTurns));
    expect(byWorkers[0]! + byWorkers[1]!).toBeGreaterThanOrEqual(2);
  });

  it('spreads turns over both workers, and one killed mid-burst loses nothing', async () => {
    // A burst through both API instances: both workers take some of its turns.
    const before = await Promise.all(workers.map(completedTurns));
    const ask = async (i: number) => {
      const citizen = await Citizen.open(i % 2 ? apiB.url : apiA.url);
      return { citizen, id: await citizen.say(QUESTION) };
    };
    const answered = async (asked: { citizen: Citizen; id: string }[], timeoutMs: number) => {
      for (const { citizen, id } of asked) {
        await eventually(
          async () => (repliesTo(await citizen.activities(), id).length >= 2 ? true : undefined),
          timeoutMs,
          `the answer in ${citizen.conversationId}`,
        );
      }
    };
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(i)));
    await answered(burst, 20_000);
    const after = await Promise.all(workers.map(completedTurns));
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);

    // Another burst, which only the first worker takes (the second is paused with SIGSTOP meanwhile): once
    // it has answered some, it is killed with questions waiting and in its hands; the second resumes, and
    // more questions follow.
    const [doomed, survivor] = workers as [GatewayProcess, GatewayProcess];
    const doomedBefore = await completedTurns(doomed);
    const survivorBefore = await completedTurns(survivor);
    survivor.child.kill('SIGSTOP');
    let beforeKill: Awaited<ReturnType<typeof ask>>[];
    let unansweredAtKill: number;
    let killedAt: number;
    try {
      beforeKill = await Promise.all(Array.from({ length: 16 }, (_, i) => ask(i)));
      await eventually(
        async () => ((await completedTurns(doomed)) > doomedBefore ? true : undefined),
        10_000,
        'a turn',
      );
      unansweredAtKill = await unanswered();
      killedAt = Date.now();
      await killHard(doomed);
    } finally {
      survivor.child.kill('SIGCONT');
    }
    expect(unansweredAtKill).toBeGreaterThan(0);
    const afterKill = await Promise.all(Array.from({ length: 4 }, (_, i) => ask(i)));
    const second = [...beforeKill, ...afterKill];
    // The killed worker's own jobs come back once their lock expires (core/queue/bullmq-queue.ts: 10 s, then
    // a stalled-job check every 5 s); with BullMQ's defaults that would be 30 to 60 s.
    await answered(second, 30_000);
    const recoveredIn = Date.now() - killedAt;
    // Exactly once: two replies to each question, stored once, however many workers touched it.
    await new Promise((r) => setTimeout(r, 1000));
    for (const { citizen, id } of second) {
      const activities = await citizen.activities();
      expect(repliesTo(activities, id)).toHaveLength(2);
      expect(activities).toHaveLength(4); // welcome, question, answer, "did this help?"
    }
    // What was asked after the kill can only have been answered by the survivor.
    expect((await completedTurns(survivor)) - survivorBefore).toBeGreaterThanOrEqual(afterKill.length);
    console.info(`scale-out: ${unansweredAtKill} unanswered at the kill, all answered ${recoveredIn} ms after it`);
  }, 60_000);

  it('offers a handoff raised in a worker turn to an agent on B, and relays between A and B', async () => {
    const { stream, agent, reply } = await relayAcrossInstances(apiA.url, apiB.url, 'li', {
      citizen: '楼道里的灯坏了',
      agent: '好的，已为您记录。',
    });
    expect(reply.from).toMatchObject({ role: 'agent', name: '李坐席' });
    const ids = stream.activities.filter((a) => a.type === 'message').map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    stream.close();
    agent.close();
  }, 120_000);
});
