import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../core/db/database.js';
import type { Database } from '../core/db/schema.js';
import { createLogger } from '../core/logger.js';
import { runDemoTraffic, type DemoTrafficResult } from './demo-traffic.js';
import { DEMO_AGENTS } from './demo-traffic/agents.js';

/**
 * The demo traffic generator end to end on embedded PGlite: a short run through the real channels (web chat,
 * SMS through the JSON gateway, WeChat), then everything checked from the database it leaves behind.
 */
describe('npm run demo:traffic', () => {
  let dataDir: string;
  let result: DemoTrafficResult;
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-demo-traffic-'));
    result = await runDemoTraffic({
      conversations: 16,
      days: 30,
      seed: 4242,
      password: 'demo-password-12345',
      concurrency: 8,
      env: {
        MINSHENG_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        // The classifiers are learnt once for every test gateway (test/support/gateway.ts shares this cache).
        NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
      },
    });
    // The run closed the gateway: the database is free to open.
    handle = await openDatabase({ dataDir, logger: createLogger({ level: 'silent' }) });
    db = handle.db;
  }, 120_000);

  afterAll(async () => {
    await handle?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('plays every conversation without a problem, on web chat, SMS and WeChat', async () => {
    expect(result.played.filter((p) => p.error).map((p) => p.error)).toEqual([]);
    const rows = await db
      .selectFrom('conversations')
      .select(['channel_id', sql<number>`count(*)::int`.as('n')])
      .groupBy('channel_id')
      .execute();
    const byChannel = Object.fromEntries(rows.map((r) => [r.channel_id, r.n]));
    expect(Object.values(byChannel).reduce((a, b) => a + b, 0)).toBe(16);
    for (const channel of ['webchat', 'sms', 'wechat']) expect(byChannel[channel], channel).toBeGreaterThan(0);
  });

  it('registers tickets and takes some through resolution and a callback with satisfaction', async () => {
    const tickets = await db
      .selectFrom('tickets')
      .select(['status', 'resolved_at', 'callback_satisfaction', 'registered_at', 'deadline_at'])
      .execute();
    expect(tickets.length).toBeGreaterThan(0);
    expect(tickets.filter((t) => t.resolved_at !== null).length).toBeGreaterThan(0);
    const called = tickets.filter((t) => t.callback_satisfaction !== null);
    expect(called.length).toBeGreaterThan(0);
    for (const t of called) expect(['callback', 'closed', 'in_progress']).toContain(t.status);
    // Deadlines follow the moved registration (15 working days is at least three weeks).
    for (const t of tickets)
      expect(new Date(t.deadline_at).getTime()).toBeGreaterThan(new Date(t.registered_at).getTime());
  });

  it('has handoffs accepted by the demo agents and a satisfaction answer after a hand-back', async () => {
    const agents = await db
      .selectFrom('staff_accounts')
      .select('id')
      .where(
        'username',
        'in',
        DEMO_AGENTS.map((a) => a.username),
      )
      .execute();
    const accepted = await db
      .selectFrom('handoffs')
      .select('id')
      .where('accepted_at', 'is not', null)
      .where(
        'agent_id',
        'in',
        agents.map((a) => a.id),
      )
      .execute();
    expect(accepted.length).toBeGreaterThan(0);
    const answered = await sql<{ n: number }>`
      select count(*)::int as n from conversation_state where state->>'satisfaction' in ('1', '2', '3')`.execute(db);
    expect(answered.rows[0]!.n).toBeGreaterThan(0);
    expect(await db.selectFrom('handoffs').select('id').where('status', '<>', 'closed').execute()).toEqual([]);
  });

  it('spreads the timestamps over more than a day, none in the future', async () => {
    const { rows } = await sql<{ first: Date; last: Date; now: Date }>`
      select min(created_at) as first, max(created_at) as last, now() as now from activities`.execute(db);
    const { first, last, now } = rows[0]!;
    expect(last.getTime() - first.getTime()).toBeGreaterThan(86_400_000);
    expect(last.getTime()).toBeLessThanOrEqual(now.getTime());
    const future = await sql<{ n: number }>`
      select (select count(*) from conversations where created_at > now() or updated_at > now())
           + (select count(*) from handoffs where queued_at > now() or closed_at > now())
           + (select count(*) from tickets where registered_at > now() or updated_at > now()
                or resolved_at > now() or callback_at > now())
           + (select count(*) from ticket_events where at > now()) as n`.execute(db);
    expect(Number(future.rows[0]!.n)).toBe(0);
    // The analytics facts were recomputed from the moved data.
    const facts = await db.selectFrom('conversation_facts').select('started_at').execute();
    expect(facts).toHaveLength(16);
    expect(facts.every((f) => f.started_at.getTime() < now.getTime() - 60_000)).toBe(true);
  });

  it('delivers every SMS and WeChat reply through the local providers, none dead', async () => {
    const deliveries = await db
      .selectFrom('activities')
      .select(['channel_id', 'delivery_status', sql<number>`count(*)::int`.as('n')])
      .where('direction', '=', 'outbound')
      .where('type', '=', 'message')
      .where('channel_id', 'in', ['sms', 'wechat'])
      .groupBy(['channel_id', 'delivery_status'])
      .execute();
    expect(deliveries.filter((d) => !['sent', 'delivered'].includes(d.delivery_status ?? ''))).toEqual([]);
    const sms = deliveries.filter((d) => d.channel_id === 'sms').reduce((n, d) => n + d.n, 0);
    expect(sms).toBeGreaterThan(0);
    expect(result.providers.sms).toBeGreaterThanOrEqual(sms);
    expect(result.providers.wechat + result.providers.wechatPassive).toBeGreaterThan(0);
    expect(result.providers.refused).toEqual([]);
  });
});
