import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

/** Addresses (phone numbers) that asked a channel to stop sending to them (短信退订, STOP). */
export class OptOuts {
  constructor(private readonly db: Kysely<Database>) {}

  async optOut(channelId: string, address: string): Promise<void> {
    await this.db
      .insertInto('opt_outs')
      .values({ channel_id: channelId, address })
      .onConflict((c) => c.doNothing())
      .execute();
  }

  async optIn(channelId: string, address: string): Promise<void> {
    await this.db.deleteFrom('opt_outs').where('channel_id', '=', channelId).where('address', '=', address).execute();
  }

  async isOptedOut(channelId: string, address: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('opt_outs')
      .select('address')
      .where('channel_id', '=', channelId)
      .where('address', '=', address)
      .executeTakeFirst();
    return row !== undefined;
  }
}
