import { readFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { audit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';

const DEFAULT_FILE = new URL('./synonyms.zh-CN.json', import.meta.url);

/**
 * Groups of terms citizens use for the same thing. A query that names one term of a group is searched
 * with the others added, so 社会保障卡 finds an article that says 社保卡. Documents are not rewritten.
 */
export class SynonymDictionary {
  /** Longest terms first, so 社保卡 is matched before 社保. */
  private readonly terms: { term: string; group: string[] }[];

  constructor(readonly groups: readonly (readonly string[])[]) {
    this.terms = groups
      .flatMap((group) => group.map((term) => ({ term, group: [...group] })))
      .sort((a, b) => b.term.length - a.term.length);
  }

  /** The text with the other members of every group it mentions appended. */
  expand(text: string): string {
    const added = new Set<string>();
    let rest = text;
    for (const { term, group } of this.terms) {
      if (!rest.includes(term)) continue;
      // Consume the match so a shorter term inside it (社保 in 社保卡) does not also fire.
      rest = rest.replaceAll(term, ' ');
      for (const other of group) if (other !== term && !text.includes(other)) added.add(other);
    }
    return added.size ? `${text} ${[...added].join(' ')}` : text;
  }
}

export async function loadSynonyms(db: Kysely<Database>): Promise<SynonymDictionary> {
  const rows = await db
    .selectFrom('knowledge_synonyms')
    .select(['group_id', 'term'])
    .orderBy('group_id')
    .orderBy('term')
    .execute();
  const groups = new Map<number, string[]>();
  for (const r of rows) groups.set(r.group_id, [...(groups.get(r.group_id) ?? []), r.term]);
  return new SynonymDictionary([...groups.values()]);
}

/** Fills an empty synonym table with the default groups. Returns the number of terms added. */
export async function seedSynonyms(db: Kysely<Database>): Promise<number> {
  const { groups } = JSON.parse(await readFile(DEFAULT_FILE, 'utf8')) as { groups: string[][] };
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('minsheng.seed.knowledge_synonyms'))`.execute(trx);
    if (await trx.selectFrom('knowledge_synonyms').select('term').limit(1).executeTakeFirst()) return 0;
    const rows = groups.flatMap((group, i) => group.map((term) => ({ group_id: i + 1, term })));
    await trx.insertInto('knowledge_synonyms').values(rows).execute();
    return rows.length;
  });
}

/**
 * Replaces the whole dictionary (editors edit it as one list). Each group needs two or more distinct terms;
 * a term may belong to one group only, or a query would expand unpredictably.
 */
export async function saveSynonyms(
  db: Kysely<Database>,
  actor: Actor,
  groups: readonly (readonly string[])[],
): Promise<SynonymDictionary> {
  const clean = groups.map((g) => [...new Set(g.map((t) => t.trim()).filter(Boolean))]).filter((g) => g.length > 0);
  const seen = new Map<string, number>();
  clean.forEach((group, i) => {
    if (group.length < 2) throw new AppError('E_VALIDATION', `group ${i + 1} needs at least two terms: ${group[0]}`);
    for (const term of group) {
      if (term.length > 32) throw new AppError('E_VALIDATION', `term too long (32 characters at most): ${term}`);
      const other = seen.get(term);
      if (other !== undefined)
        throw new AppError('E_VALIDATION', `${term} is in group ${other + 1} and group ${i + 1}; keep it in one`);
      seen.set(term, i);
    }
  });
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('knowledge_synonyms').execute();
    const rows = clean.flatMap((group, i) => group.map((term) => ({ group_id: i + 1, term })));
    if (rows.length) await trx.insertInto('knowledge_synonyms').values(rows).execute();
    await audit(trx, actor, {
      action: 'knowledge.synonyms.save',
      targetType: 'knowledge_synonyms',
      targetId: 'all',
      detail: { groups: clean.length, terms: rows.length },
    });
  });
  return new SynonymDictionary(clean);
}
