/**
 * A message acknowledged to the citizen is answered exactly once, even when the gateway is killed with
 * SIGKILL right after the acknowledgement. Real processes, real engines, real kills.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
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

interface Listed {
  id: string;
  replyToId?: string;
  from: { role: string };
}

const auth = { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}`, 'content-type': 'application/json' };

async function list(url: string, conversationId: string): Promise<Listed[]> {
  const res = await fetch(`${url}/v3/directline/conversations/${conversationId}/activities`, { headers: auth });
  return ((await res.json()) as { activities: Listed[] }).activities;
}

/**
 * What a client that had seen everything up to `watermark` receives on reconnecting: the frames of a
 * Direct Line stream, collected until `done` says enough, then for a further moment to catch repeats.
 */
async function receiveAfter(url: string, conversationId: string, watermark: number, done: (ids: Listed[]) => boolean) {
  const res = await fetch(`${url}/v3/directline/conversations/${conversationId}?watermark=${watermark}`, {
    headers: auth,
  });
  const { streamUrl } = (await res.json()) as { streamUrl: string };
  const received: Listed[] = [];
  const socket = new WebSocket(streamUrl);
  socket.on('message', (data) => {
    if (String(data)) received.push(...(JSON.parse(String(data)) as { activities: Listed[] }).activities);
  });
  // A restart on PGlite takes seconds, more while the other test file running beside this one loads the CPU.
  await eventually(() => (done(received) ? true : undefined), 45_000, 'the reply on the stream');
  await new Promise((r) => setTimeout(r, 1500));
  socket.close();
  return received;
}

async function acknowledgedMessage(url: string, text: string) {
  const conv = (await (
    await fetch(`${url}/v3/directline/conversations`, { method: 'POST', headers: auth })
  ).json()) as {
    conversationId: string;
  };
  const res = await fetch(`${url}/v3/directline/conversations/${conv.conversationId}/activities`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ type: 'message', from: { id: 'dl_citizen' }, text }),
  });
  expect(res.status).toBe(200);
  return { conversationId: conv.conversationId, activityId: ((await res.json()) as { id: string }).id };
}

const setups = [
  { name: 'embedded PGlite + pg-boss', skip: null as string | null, postgres: false },
  {
    name: 'PostgreSQL + BullMQ on Redis',
    skip: (await postgresUnavailable()) ?? (await redisUnavailable()),
    postgres: true,
  },
];

for (const setup of setups) {
  describe.skipIf(setup.skip)(`crash recovery on ${setup.name}`, () => {
    const running: GatewayProcess[] = [];
    const cleanups: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const p of running) await stopGracefully(p);
      for (const c of cleanups) await c();
    });

    async function environment() {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-crash-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      let database: TestDatabase | undefined;
      const prefix = `test-${randomUUID()}`;
      if (setup.postgres) {
        database = await createTestDatabase();
        cleanups.push(() => database!.drop());
        cleanups.push(() => deleteRedisKeys(prefix));
      }
      return {
        MINSHENG_DATA_DIR: dataDir,
        DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET,
        ...(database ? { DATABASE_URL: database.url, REDIS_URL, MINSHENG_REDIS_PREFIX: prefix } : {}),
      };
    }

    const start = async (env: Record<string, string>, port: number) => {
      const p = await spawnGateway(env, port);
      running.push(p);
      return p;
    };

    // An API-only instance stores and acknowledges; it never answers. Killing it leaves only the queue.
    it('answers exactly once after an API instance is killed right after acknowledging', async () => {
      const env = await environment();
      const port = await freePort();
      const api = await start({ ...env, MINSHENG_ROLE: 'api' }, port);
      const { conversationId, activityId } = await acknowledgedMessage(api.url, '社保卡丢了怎么补办');
      await killHard(api);

      const restarted = await start({ ...env, MINSHENG_ROLE: 'all' }, port);
      // The citizen's client had seen the welcome and its own message (watermark 2) and reconnects.
      const delivered = await receiveAfter(restarted.url, conversationId, 2, (got) =>
        got.some((a) => a.replyToId === activityId),
      );
      // One answer and one "did this help?", delivered once (waiting on for repeats); stored once.
      expect(delivered.map((a) => [a.from.role, a.replyToId])).toEqual([
        ['bot', activityId],
        ['bot', activityId],
      ]);
      expect((await list(restarted.url, conversationId)).filter((a) => a.replyToId === activityId)).toHaveLength(2);
      // It was the job the killed instance queued that answered.
      const metrics = await (await fetch(`${restarted.url}/metrics`)).text();
      expect(metrics).toMatch(/minsheng_jobs_total\{queue="assistant-turn",outcome="completed"\} [1-9]/);
      await stopGracefully(restarted);
    }, 120_000);

    // A full instance may have been mid-turn when killed: whatever it committed, the reply set is still one.
    it('answers exactly once when a full instance is killed right after acknowledging', async () => {
      const env = await environment();
      const port = await freePort();
      const ids: { conversationId: string; activityId: string }[] = [];
      const first = await start({ ...env, MINSHENG_ROLE: 'all' }, port);
      for (let i = 0; i < 3; i++) ids.push(await acknowledgedMessage(first.url, `电动车怎么上牌 ${i}`));
      await killHard(first);

      const restarted = await start({ ...env, MINSHENG_ROLE: 'all' }, port);
      for (const { conversationId, activityId } of ids) {
        await eventually(
          async () =>
            (await list(restarted.url, conversationId)).filter((a) => a.replyToId === activityId).length >= 2
              ? true
              : undefined,
          30_000,
          'replies after restart',
        );
      }
      await new Promise((r) => setTimeout(r, 6000)); // past another recovery sweep
      for (const { conversationId, activityId } of ids) {
        const all = await list(restarted.url, conversationId);
        expect(all.filter((a) => a.replyToId === activityId)).toHaveLength(2);
        expect(all).toHaveLength(4); // welcome, question, answer, "did this help?"
      }
      await stopGracefully(restarted);
    }, 120_000);
  });
}
