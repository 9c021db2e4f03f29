import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

export interface StoredMedia {
  id: string;
  conversationId: string;
  contentType: string;
  bytes: Buffer;
}

/** Largest piece of media kept (WeChat images are at most 10 MB, voice 2 MB; the API caps what it serves). */
export const MAX_MEDIA_BYTES = 10 * 1024 * 1024;

/** Media citizens sent, kept in the database for agents (`media` table). */
export class MediaStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores it once per source; returns the id (the existing one when the source was stored before). */
  async put(input: { conversationId: string; contentType: string; bytes: Buffer; source: string }): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    await this.db
      .insertInto('media')
      .values({
        id,
        conversation_id: input.conversationId,
        content_type: input.contentType,
        size: input.bytes.length,
        bytes: input.bytes,
        source: input.source,
      })
      .onConflict((c) => c.column('source').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('media')
      .select('id')
      .where('source', '=', input.source)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async get(id: string): Promise<StoredMedia | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return (
      row && {
        id: row.id,
        conversationId: row.conversation_id,
        contentType: row.content_type,
        // node-postgres gives a Buffer, PGlite a Uint8Array.
        bytes: Buffer.from(row.bytes),
      }
    );
  }
}
