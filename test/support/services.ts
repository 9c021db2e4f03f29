/**
 * Real services for integration tests: a throwaway PostgreSQL database per test file and the local
 * Redis. When a service is unreachable the tests that need it skip with a message; CI sets
 * MINSHENG_REQUIRE_SERVICES=1 so that a missing service fails the run instead of skipping silently.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const POSTGRES_ADMIN_URL =
  process.env.MINSHENG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.MINSHENG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const required = process.env.MINSHENG_REQUIRE_SERVICES === '1';

function unavailable(reason: string): string {
  if (required) throw new Error(`${reason} (MINSHENG_REQUIRE_SERVICES=1, so this fails instead of skipping)`);
  console.warn(`[skip] ${reason}`);
  return reason;
}

/** Null when PostgreSQL with pgvector is reachable; otherwise the reason to skip. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rowCount } = await client.query(`select 1 from pg_available_extensions where name = 'vector'`);
    if (!rowCount)
      return unavailable('PostgreSQL is reachable but has no pgvector extension (run .ci/setup-system.sh)');
    return null;
  } catch (error) {
    return unavailable(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Null when Redis answers PING; otherwise the reason to skip. */
export async function redisUnavailable(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return unavailable(`Redis is not reachable at ${REDIS_URL}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `minsheng_test_<uuid>`; `drop()` removes it (and ends stray sessions). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `minsheng_test_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Deletes every Redis key under `prefix:` (a test's queues and channels). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
