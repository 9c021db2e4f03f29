import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as init from './migrations/0001-init.js';
import * as knowledge from './migrations/0002-knowledge.js';
import * as editorial from './migrations/0003-editorial.js';
import * as dropFaq from './migrations/0004-drop-faq.js';
import * as vectorCost from './migrations/0005-vector-cost.js';
import * as vectorIndex from './migrations/0006-vector-index.js';
import * as tickets from './migrations/0007-tickets.js';
import * as delivery from './migrations/0008-delivery.js';
import * as media from './migrations/0009-media.js';
import * as voiceCalls from './migrations/0010-voice-calls.js';
import * as handoffs from './migrations/0011-handoffs.js';
import * as evalRuns from './migrations/0012-eval-runs.js';
import * as analytics from './migrations/0013-analytics.js';
import * as security from './migrations/0014-security.js';

/** Migrations are compiled into the program (no directory scan), so a bundle or a test runs the same set. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init,
  '0002-knowledge': knowledge,
  '0003-editorial': editorial,
  '0004-drop-faq': dropFaq,
  '0005-vector-cost': vectorCost,
  '0006-vector-index': vectorIndex,
  '0007-tickets': tickets,
  '0008-delivery': delivery,
  '0009-media': media,
  '0010-voice-calls': voiceCalls,
  '0011-handoffs': handoffs,
  '0012-eval-runs': evalRuns,
  '0013-analytics': analytics,
  '0014-security': security,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
