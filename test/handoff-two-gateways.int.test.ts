/**
 * Two gateway processes on different ports sharing PostgreSQL and Redis: a handoff raised by a citizen on
 * one reaches an agent connected to the other, and the relay works both ways in real time (the citizen's
 * Direct Line stream on the first, the agent's desk stream on the second).
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayAcrossInstances } from './support/desk-client.js';
import { TEST_DIRECTLINE_SECRET } from './support/gateway.js';
import { freePort, spawnGateway, stopGracefully, type GatewayProcess } from './support/process.js';
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

describe.skipIf(skip)('handoff across two gateway instances (PostgreSQL + Redis)', () => {
  const prefix = `minsheng-test-${randomUUID()}`;
  let database: TestDatabase;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      MINSHENG_REDIS_PREFIX: prefix,
      DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET,
      NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
      MINSHENG_DATA_DIR: path.join(tmpdir(), `minsheng-two-${randomUUID()}`),
    };
    // One after the other: the first applies the migrations.
    a = await spawnGateway(env, await freePort());
    b = await spawnGateway(env, await freePort());
    await createStaffIn(database.url, { username: 'wang', displayName: '王坐席', roles: ['agent'] });
  }, 120_000);

  afterAll(async () => {
    for (const gateway of [a, b]) if (gateway) await stopGracefully(gateway);
    await database?.drop();
    await deleteRedisKeys(prefix);
  });

  it('offers a handoff raised on one instance to an agent on the other, and relays both ways', async () => {
    // The citizen talks to instance A only and follows on A's stream; the agent's desk is on B.
    const { stream, agent, reply } = await relayAcrossInstances(a.url, b.url, 'wang', {
      citizen: '小区门口的路灯坏了一个星期了',
      agent: '收到，我马上为您登记。',
    });
    expect(reply.from).toMatchObject({ role: 'agent', name: '王坐席' });
    expect(stream.activities.some((s) => s.type === 'typing' && s.from.role === 'agent')).toBe(true);
    // Nothing twice on the stream, though both instances heard of it.
    const ids = stream.activities.filter((s) => s.type === 'message').map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    stream.close();
    agent.close();
  }, 90_000);
});
