import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { StaffAccounts } from '../core/accounts.js';
import { audit, listAudit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { ARTICLE_ID_PATTERN } from '../knowledge/article.js';
import { KNOWLEDGE_ROLES, type KnowledgeEditorial } from '../knowledge/editorial.js';
import { ARTICLE_LIMITS } from '../knowledge/import/validate.js';
import type { KnowledgeSearch } from '../knowledge/search.js';
import { saveSynonyms } from '../knowledge/synonyms.js';
import { queueReembed, type VectorIndex } from '../knowledge/vector-index.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { requireStaff } from './staff-auth.js';

export interface KnowledgeRoutesOptions {
  db: Kysely<Database>;
  accounts: StaffAccounts;
  editorial: KnowledgeEditorial;
  search: KnowledgeSearch;
  index: VectorIndex;
  queue: JobQueue;
}

/** The request's shape for the OpenAPI document; the rules (real dates, known category) are the editorial service's. */
const L = ARTICLE_LIMITS;
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

const ArticleContent = Type.Object(
  {
    category: Text(64),
    title: Text(L.title),
    question: Text(L.question),
    variants: Type.Array(Text(L.variant), { maxItems: L.variants }),
    answerShort: Text(L.answerShort),
    answerFull: Text(L.answerFull),
    department: Text(L.department),
    tags: Type.Array(Text(L.tag), { maxItems: L.tags }),
    region: Text(L.region),
    effectiveFrom: Day,
    expiresAt: Type.Union([Day, Type.Null()]),
    source: Type.Union([
      Type.Object({
        title: Text(L.sourceTitle),
        url: Type.Union([Type.String({ pattern: '^https?://', maxLength: L.sourceUrl }), Type.Null()]),
      }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

const ArticleId = Type.String({ pattern: ARTICLE_ID_PATTERN.source });
const IdParams = Type.Object({ id: ArticleId });
const Note = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) });

const ListQuery = Type.Object({
  status: Type.Optional(
    Type.Union(['draft', 'in_review', 'published', 'retired', 'pending_review'].map((s) => Type.Literal(s))),
  ),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  region: Type.Optional(Type.String({ maxLength: 50 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
});

const SearchBody = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500 }),
  region: Type.Optional(Type.String({ maxLength: 50 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
});

/**
 * The knowledge base API for the editors' console and the agent desk: list, read, edit, the review
 * workflow, history and diffs, the audit trail, synonyms, and "try a question". Every route checks roles;
 * every change is audited (in the editorial service, in the same transaction as the change).
 */
export const knowledgeRoutes: FastifyPluginAsyncTypebox<KnowledgeRoutesOptions> = async (app, options) => {
  const { editorial, search, accounts } = options;
  const read = requireStaff(accounts, KNOWLEDGE_ROLES.read);
  const edit = requireStaff(accounts, KNOWLEDGE_ROLES.edit);
  const review = requireStaff(accounts, KNOWLEDGE_ROLES.review);
  const retire = requireStaff(accounts, KNOWLEDGE_ROLES.retire);
  const reindex = requireStaff(accounts, KNOWLEDGE_ROLES.reindex);
  const tags = ['knowledge'];

  app.get('/categories', { schema: { tags, summary: 'Article categories' }, preValidation: read }, async () =>
    editorial.categories(),
  );

  app.get(
    '/articles',
    { schema: { tags, summary: 'List articles (paginated, filtered)', querystring: ListQuery }, preValidation: read },
    async (request) => editorial.list(request.query),
  );

  app.post(
    '/articles',
    {
      schema: {
        tags,
        summary: 'Create an article as a draft',
        body: Type.Object({ id: ArticleId, ...ArticleContent.properties }, { additionalProperties: false }),
      },
      preValidation: edit,
    },
    async (request, reply) => {
      const { id, ...content } = request.body;
      if (await editorial.exists(id)) throw new AppError('E_CONFLICT', `article ${id} exists`);
      await editorial.saveDrafts(request.staff!.actor, [{ id, ...content }]);
      return reply.code(201).send(await editorial.get(id));
    },
  );

  app.get(
    '/articles/:id',
    {
      schema: { tags, summary: 'An article: live content and the open revision', params: IdParams },
      preValidation: read,
    },
    async (request) => editorial.get(request.params.id),
  );

  app.put(
    '/articles/:id/draft',
    {
      schema: {
        tags,
        summary: 'Save the open draft (a new revision when there is none)',
        params: IdParams,
        body: Type.Object(
          { baseRevision: Type.Optional(Type.Integer({ minimum: 0 })), ...ArticleContent.properties },
          { additionalProperties: false },
        ),
      },
      preValidation: edit,
    },
    async (request) => {
      const { baseRevision, ...content } = request.body;
      return editorial.saveDraft(request.staff!.actor, { id: request.params.id, ...content }, baseRevision);
    },
  );

  const transition = (
    path: string,
    summary: string,
    guard: typeof edit,
    act: (id: string, actor: Actor, note?: string) => Promise<unknown>,
  ) =>
    app.post(
      `/articles/:id/${path}`,
      {
        schema: { tags, summary, params: IdParams, body: Note },
        // The note is optional, and so is the body that carries it.
        preValidation: [guard, async (request) => void (request.body ??= {})],
      },
      async (request) => act(request.params.id, request.staff!.actor, request.body.note),
    );
  transition('submit', 'Submit the draft for review', edit, (id, actor) => editorial.submit(actor, id));
  transition('approve', 'Approve and publish the revision in review', review, (id, actor, note) =>
    editorial.approve(actor, id, note),
  );
  transition('reject', 'Send the revision in review back to draft, with a reason', review, (id, actor, note) =>
    editorial.reject(actor, id, note ?? ''),
  );
  transition('withdraw', 'Discard the open revision', edit, (id, actor) => editorial.withdraw(actor, id));
  transition('retire', 'Take the article out of service', retire, (id, actor, note) =>
    editorial.retire(actor, id, note),
  );

  app.get(
    '/articles/:id/revisions',
    { schema: { tags, summary: 'Every revision, newest first', params: IdParams }, preValidation: read },
    async (request) => editorial.history(request.params.id),
  );

  app.get(
    '/articles/:id/diff',
    {
      schema: {
        tags,
        summary: 'What changed between two revisions, field by field',
        params: IdParams,
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
      },
      preValidation: read,
    },
    async (request) => editorial.diff(request.params.id, request.query.from, request.query.to),
  );

  app.get(
    '/articles/:id/audit',
    {
      schema: {
        tags,
        summary: "The article's audit trail, newest first",
        params: IdParams,
        querystring: Type.Object({
          before: Type.Optional(Type.String({ pattern: '^\\d+$' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
      preValidation: read,
    },
    async (request) =>
      listAudit(options.db, { targetType: 'knowledge_article', targetId: request.params.id, ...request.query }),
  );

  app.post(
    '/search',
    { schema: { tags, summary: 'Try a question: ranked hits with scores', body: SearchBody }, preValidation: read },
    async (request) => {
      const { q, region, limit } = request.body;
      const started = performance.now();
      const hits = await search.search(q, { region, limit: limit ?? 5 });
      return { hits, ms: Math.round((performance.now() - started) * 10) / 10 };
    },
  );

  app.get('/synonyms', { schema: { tags, summary: 'The synonym dictionary' }, preValidation: read }, async () => ({
    groups: search.synonymGroups,
  }));

  app.put(
    '/synonyms',
    {
      schema: {
        tags,
        summary: 'Replace the synonym dictionary',
        body: Type.Object({
          groups: Type.Array(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 50 }), { maxItems: 5000 }),
        }),
      },
      preValidation: edit,
    },
    async (request) => {
      const dictionary = await saveSynonyms(options.db, request.staff!.actor, request.body.groups);
      search.useSynonyms(dictionary);
      return { groups: dictionary.groups };
    },
  );

  app.get(
    '/index',
    { schema: { tags, summary: 'The vector index: its embedder and re-embedding progress' }, preValidation: read },
    async () => {
      await options.index.reload();
      return {
        embedder: options.index.activeEmbedder,
        dimensions: options.index.dimensions,
        configured: options.index.configured.id,
        pending: options.index.pending,
        reembed: (await options.index.status()) ?? null,
      };
    },
  );

  app.post(
    '/index/reembed',
    {
      schema: {
        tags,
        summary: 'Queue re-embedding the base with the configured embedder (admin)',
        description: "Also queued at start when the configured embedder is not the index's. 409 when it already is.",
      },
      preValidation: reindex,
    },
    async (request, reply) => {
      await options.index.reload();
      if (!options.index.pending) {
        throw new AppError('E_CONFLICT', `the index is already built with ${options.index.configured.id}`);
      }
      const queued = await queueReembed(options.queue, options.index);
      await options.db.transaction().execute((trx) =>
        audit(trx, request.staff!.actor, {
          action: 'knowledge.reembed.queue',
          targetType: 'knowledge_index',
          targetId: options.index.configured.id,
          detail: { from: options.index.activeEmbedder, queued },
        }),
      );
      return reply.code(202).send({ queued, target: options.index.configured.id });
    },
  );
};
