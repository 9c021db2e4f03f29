import type { Kysely, Transaction } from 'kysely';
import type { Database } from './db/schema.js';

/** Who did something: a staff account, the CLI's operator or the system itself. */
export interface Actor {
  /** Username of a staff account, `cli:<os user>` or `system`. */
  name: string;
  roles: readonly string[];
}

export const SYSTEM_ACTOR: Actor = { name: 'system', roles: ['admin'] };

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  detail?: Record<string, unknown>;
}

/**
 * Appends to the audit log in the caller's transaction, so an action and its record commit or fail together.
 * Nothing updates or deletes audit rows.
 */
export async function audit(
  trx: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  entries: AuditEntry | AuditEntry[],
): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await trx
    .insertInto('audit_log')
    .values(
      list.map((e) => ({
        actor: actor.name,
        action: e.action,
        target_type: e.targetType,
        target_id: e.targetId,
        detail: JSON.stringify(e.detail ?? {}),
      })),
    )
    .execute();
}

export interface AuditRecord {
  id: string;
  at: Date;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  detail: Record<string, unknown>;
}

/** The audit trail, newest first, optionally of one target. Keyset pagination on the id. */
export async function listAudit(
  db: Kysely<Database>,
  filter: { targetType?: string; targetId?: string; actor?: string; before?: string; limit?: number },
): Promise<AuditRecord[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
  if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.before) query = query.where('id', '<', filter.before);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(Math.min(filter.limit ?? 50, 200))
    .execute();
  return rows.map((r) => ({
    id: String(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: r.detail,
  }));
}
