/**
 * The faults, each injected half-way through a steady load: kill -9 of an API instance, kill -9 of a
 * worker, a Redis restart (nothing kept on disk: queued jobs are lost), a PostgreSQL restart, and a
 * provider API that stops answering for a while.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../../test/support/services.js';
import type { FakeProvider } from '../channel-webhooks.js';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultContext {
  cluster: Cluster;
  provider: FakeProvider;
  /** Lines describing what was done, for the report. */
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  /** Injects the fault and returns once the system is whole again (processes restarted, services up). */
  inject(context: FaultContext): Promise<void>;
}

/** How long a killed process stays dead, and how long the provider stays silent. */
const DOWN_MS = 2_000;
const PROVIDER_OUTAGE_MS = 10_000;

const REDIS_START = [
  '--daemonize',
  'yes',
  '--bind',
  '127.0.0.1',
  '-::1',
  '--port',
  '6379',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  '/var/lib/redis',
  '--logfile',
  '/var/log/redis/ci.log',
];

async function redisAnswers(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Starts Redis as the machine's CI does, unless it answers already. */
export async function ensureRedis(): Promise<void> {
  if (await redisAnswers()) return;
  await run('redis-server', REDIS_START);
  await until(redisAnswers, 20_000, 'Redis did not answer');
}

const postgresCluster = async () => (await run('ls', ['/etc/postgresql'])).stdout.trim().split('\n')[0]!;

/** Starts PostgreSQL unless it answers already. */
export async function ensurePostgres(): Promise<void> {
  if (await postgresAnswers()) return;
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', await postgresCluster(), 'main', 'start']).catch(
    () => undefined,
  );
  await until(postgresAnswers, 60_000, 'PostgreSQL did not answer');
}

/** kill -9 of one process of the cluster, started again after DOWN_MS. */
async function killAndRestart(
  { cluster, log }: Parameters<Scenario['inject']>[0],
  victim: (typeof cluster.apis)[number],
): Promise<void> {
  await cluster.kill(victim);
  log(`kill -9 ${victim.name}`);
  await sleep(DOWN_MS);
  await cluster.launch(victim);
  log(`${victim.name} restarted`);
}

export const SCENARIOS: Scenario[] = [
  { name: 'baseline', inject: async () => undefined },
  { name: 'api-kill', inject: (context) => killAndRestart(context, context.cluster.apis[0]!) },
  { name: 'worker-kill', inject: (context) => killAndRestart(context, context.cluster.workers[0]!) },
  {
    name: 'redis',
    async inject({ log }) {
      const started = Date.now();
      try {
        await run('redis-cli', ['-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
        await until(async () => !(await redisAnswers()), 10_000, 'Redis did not stop');
        log('redis-cli shutdown nosave');
      } finally {
        await ensureRedis();
      }
      log(`Redis back after ${((Date.now() - started) / 1000).toFixed(1)} s (empty: it keeps nothing on disk)`);
    },
  },
  {
    name: 'pg',
    async inject({ log }) {
      const started = Date.now();
      try {
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', await postgresCluster(), 'main', 'restart']);
      } finally {
        await ensurePostgres();
      }
      log(`PostgreSQL restarted, answering after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  },
  {
    name: 'provider',
    async inject({ provider, log }) {
      // SMS: taken but answered after the sender's 10 s time-out (the send looks failed, was not);
      // WeChat customer-service API: held open, never taken.
      provider.outage({ sms: 'late', wechat: 'hang', lateMs: 12_000 });
      log(`provider outage: SMS answers after 12 s, WeChat API hangs, for ${PROVIDER_OUTAGE_MS / 1000} s`);
      try {
        await sleep(PROVIDER_OUTAGE_MS);
      } finally {
        provider.recover();
      }
      log(`provider recovered (${provider.stalled} requests stalled so far)`);
    },
  },
];
