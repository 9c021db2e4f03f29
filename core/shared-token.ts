import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from './db/schema.js';

interface Cached {
  value: string;
  /** Epoch ms after which the value is not used. */
  expiresAt: number;
}

/** A token is refreshed when it has less than this left (WeChat tokens live 7200 s). */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * An access token shared by every instance on the same database (WeChat's `access_token`: each fetch
 * invalidates the previous one, so instances must not each fetch their own). Kept in the settings table;
 * the fetch runs under a transaction-level advisory lock, so one instance refreshes and the others,
 * waiting on the lock, then read its token. Held in memory until close to expiry.
 */
export class SharedToken {
  private memory?: Cached;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly key: string,
    private readonly fetchToken: () => Promise<{ value: string; expiresInMs: number }>,
    private readonly now: () => number = Date.now,
  ) {}

  private fresh(cached: Cached | undefined): cached is Cached {
    return cached !== undefined && cached.expiresAt - REFRESH_MARGIN_MS > this.now();
  }

  async get(): Promise<string> {
    if (this.fresh(this.memory)) return this.memory.value;
    this.memory = await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${lockId(this.key)}::bigint)`.execute(trx);
      const row = await trx.selectFrom('settings').select('value').where('key', '=', this.key).executeTakeFirst();
      const stored = row && (JSON.parse(row.value) as Cached);
      if (this.fresh(stored)) return stored;
      const { value, expiresInMs } = await this.fetchToken();
      const cached = { value, expiresAt: this.now() + expiresInMs };
      const json = JSON.stringify(cached);
      await trx
        .insertInto('settings')
        .values({ key: this.key, value: json })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: json }))
        .execute();
      return cached;
    });
    return this.memory.value;
  }

  /** The provider rejected the token (revoked, expired early): the next `get` fetches a new one. */
  async invalidate(rejected: string): Promise<void> {
    if (this.memory?.value === rejected) this.memory = undefined;
    await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${lockId(this.key)}::bigint)`.execute(trx);
      const row = await trx.selectFrom('settings').select('value').where('key', '=', this.key).executeTakeFirst();
      if (row && (JSON.parse(row.value) as Cached).value === rejected) {
        await trx.deleteFrom('settings').where('key', '=', this.key).execute();
      }
    });
  }
}

/** A stable 63-bit lock id for the key. */
function lockId(key: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('sha256').update(`shared-token:${key}`).digest('hex').slice(0, 16)}`),
  ).toString();
}
