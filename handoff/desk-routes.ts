import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { ConversationBroker } from '../assistant/broker.js';
import { draftOf } from '../assistant/intake.js';
import { storableText } from '../channels/inbound-guards.js';
import type { StaffSession } from '../core/accounts.js';
import { AppError } from '../core/errors.js';
import type { KnowledgeLookup } from '../assistant/turn.js';
import { DEMAND_TYPES, type TicketStore } from '../tickets/ticket-store.js';
import { summaryOf } from './handoff-store.js';
import { isSupervisor, type HandoffService } from './handoff-service.js';
import { deskStream } from './desk-stream.js';
import { Invitations } from './invitations.js';
import { Transfers } from './transfers.js';

export interface DeskRoutesOptions {
  handoffs: HandoffService;
  broker: ConversationBroker;
  tickets: TicketStore;
  knowledge: KnowledgeLookup;
  /** The staff session check (api/staff-auth.ts `requireStaff`) for these roles. */
  guard(roles: readonly string[]): preValidationAsyncHookHandler;
  /** Every queue agents can be transferred to. */
  queues: readonly string[];
}

const DESK_ROLES = ['agent', 'supervisor', 'admin'];
const SUPERVISOR_ROLES = ['supervisor', 'admin'];
const tags = ['desk'];

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Text = Type.Object({ text: Type.String({ minLength: 1, maxLength: 4000 }) });
const Empty = Type.Optional(Type.Object({}, { additionalProperties: true }));
const Presence = Type.Object({
  presence: Type.Union([Type.Literal('available'), Type.Literal('busy'), Type.Literal('away')]),
});
const Transfer = Type.Object({
  queue: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  agent: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
});
const Consult = Type.Object({ agent: Type.String({ minLength: 1, maxLength: 64 }) });
const Invite = Type.Object({
  department: Type.String({ minLength: 1, maxLength: 100 }),
  minutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 24 * 60 })),
  /** Consult the department privately (warm): they read along and write notes to the agents only. */
  private: Type.Optional(Type.Boolean()),
});
const Close = Type.Object({
  disposition: Type.Union(
    ['resolved', 'ticket', 'transferred_out', 'citizen_left', 'invalid'].map((d) => Type.Literal(d)),
  ),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
});
const nullableText = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));
const TicketBody = Type.Object({
  demandType: Type.Union(DEMAND_TYPES.map((d) => Type.Literal(d))),
  categoryCode: nullableText(32),
  description: Type.String({ minLength: 1, maxLength: 4000 }),
  name: nullableText(64),
  phone: nullableText(32),
  address: nullableText(200),
  district: nullableText(64),
  occurred: nullableText(100),
  organisation: nullableText(200),
  anonymous: Type.Optional(Type.Boolean()),
});
const View = Type.Object({ view: Type.Optional(Type.Union([Type.Literal('queue'), Type.Literal('mine')])) });
const Query = Type.Object({ q: Type.String({ minLength: 1, maxLength: 500 }) });

const staffOf = (request: FastifyRequest): StaffSession => request.staff!;

/**
 * The agent desk's API under /api/desk: the queue and my conversations, a conversation's context card,
 * the relay, transfers, invitations, hand-back and close, tickets and knowledge search; a supervisor's
 * overview. Every route needs a staff session with a desk role; who may see which conversation is the
 * handoff service's call (`visible`).
 */
export const deskRoutes: FastifyPluginAsyncTypebox<DeskRoutesOptions> = async (app, options) => {
  const { handoffs, broker, tickets } = options;
  const transfers = new Transfers(handoffs);
  const invitations = new Invitations(handoffs);
  const desk = options.guard(DESK_ROLES);

  app.get('/me', { schema: { tags, summary: 'My desk profile and presence' }, preValidation: desk }, async (request) =>
    meOf(await handoffs.profile(staffOf(request))),
  );

  app.put(
    '/presence',
    { schema: { tags, summary: 'Set my presence', body: Presence }, preValidation: desk },
    async (request) => meOf(await handoffs.setPresence(staffOf(request), request.body.presence)),
  );

  app.get(
    '/handoffs',
    { schema: { tags, summary: 'The queue I serve, or my conversations', querystring: View }, preValidation: desk },
    async (request) => {
      const session = staffOf(request);
      if (request.query.view === 'mine') {
        const items = await handoffs.store.list({ involving: session.account.id, open: true });
        return { items: items.map(summaryOf) };
      }
      const profile = await handoffs.profile(session);
      const items = await handoffs.store.list({
        statuses: ['waiting', 'offered'],
        queues: isSupervisor(session) ? undefined : profile.queues,
      });
      return { items: items.map(summaryOf) };
    },
  );

  app.get(
    '/handoffs/:id',
    { schema: { tags, summary: 'A conversation’s context card', params: Id }, preValidation: desk },
    async (request) => {
      const session = staffOf(request);
      const { record, readOnly } = await handoffs.visible(session, request.params.id);
      const conversationId = record.conversationId;
      const [page, state, invites, own] = await Promise.all([
        broker.activitiesAfter(conversationId, 0, 1000),
        broker.stateOf(conversationId),
        invitations.invitesOf(record.id),
        record.citizen.id ? tickets.ticketsOfCitizen(record.citizen.id) : [],
      ]);
      await handoffs.auditAction(session, 'handoff.view', 'conversation', conversationId);
      return {
        handoff: summaryOf(record),
        transcript: page.activities.filter((a) => a.type === 'message'),
        draft: state?.intake ? draftOf(state.intake, undefined, { channelId: record.channelId, conversationId }) : null,
        hits: (record.context.hits as unknown[] | undefined)?.length ? record.context.hits : (state?.seenHits ?? []),
        previousTickets: own.filter((t) => t.conversationId !== conversationId),
        tickets: own.filter((t) => t.conversationId === conversationId),
        notes: record.notes,
        invites,
        readOnly,
      };
    },
  );

  // The actions that take nothing but the handoff.
  const actions: [string, string, (session: StaffSession, id: string) => Promise<unknown>][] = [
    ['accept', 'Take a conversation offered to me or waiting in my queue', (s, id) => handoffs.accept(s, id)],
    ['decline', 'Decline an offer', (s, id) => handoffs.decline(s, id)],
    [
      'hand-back',
      'Give the conversation back to the bot (it asks about satisfaction)',
      (s, id) => handoffs.handBack(s, id),
    ],
    ['consult/complete', 'Warm transfer: the consulted agent takes over', (s, id) => transfers.endConsult(s, id, true)],
    ['consult/cancel', 'Warm transfer: end the consultation', (s, id) => transfers.endConsult(s, id, false)],
  ];
  for (const [path, summary, act] of actions) {
    app.post(
      `/handoffs/:id/${path}`,
      { schema: { tags, summary, params: Id, body: Empty }, preValidation: desk },
      async (request) => act(staffOf(request), request.params.id),
    );
  }

  app.post(
    '/handoffs/:id/messages',
    {
      schema: { tags, summary: 'Send a message to the citizen on their channel', params: Id, body: Text },
      preValidation: desk,
    },
    async (request) => {
      const stored = await handoffs.message(staffOf(request), request.params.id, storableText(request.body.text));
      return { id: stored.id };
    },
  );

  app.post(
    '/handoffs/:id/typing',
    { schema: { tags, summary: 'Tell the citizen I am typing', params: Id, body: Empty }, preValidation: desk },
    async (request, reply) => {
      await handoffs.typing(staffOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/handoffs/:id/transfer',
    {
      schema: { tags, summary: 'Cold transfer to a queue or an agent', params: Id, body: Transfer },
      preValidation: desk,
    },
    async (request) => {
      const { queue, agent, note } = request.body;
      if (!queue && !agent) throw new AppError('E_VALIDATION', 'Say which queue or agent to transfer to.');
      if (queue && !options.queues.includes(queue)) throw new AppError('E_VALIDATION', `No queue ${queue}.`);
      return transfers.transfer(staffOf(request), request.params.id, { queue, agent, note });
    },
  );

  app.post(
    '/handoffs/:id/consult',
    {
      schema: { tags, summary: 'Warm transfer: consult another agent privately first', params: Id, body: Consult },
      preValidation: desk,
    },
    async (request) => transfers.consult(staffOf(request), request.params.id, request.body.agent),
  );
  app.post(
    '/handoffs/:id/notes',
    {
      schema: { tags, summary: 'A private note to the agent consulted (or consulting)', params: Id, body: Text },
      preValidation: desk,
    },
    async (request) => transfers.note(staffOf(request), request.params.id, storableText(request.body.text)),
  );

  app.post(
    '/handoffs/:id/invites',
    {
      schema: { tags, summary: 'Invite department staff to join (a time-limited link)', params: Id, body: Invite },
      preValidation: desk,
    },
    async (request) =>
      invitations.invite(
        staffOf(request),
        request.params.id,
        request.body.department,
        request.body.minutes,
        request.body.private,
      ),
  );

  app.post(
    '/handoffs/:id/conference',
    {
      schema: {
        tags,
        summary:
          'Phone calls: bring a department into the call (a conference leg), optionally ringing the agent back too',
        params: Id,
        body: Type.Object({
          department: Type.String({ pattern: '^\\+[1-9]\\d{6,14}$', description: 'E.164 number' }),
          agentPhone: Type.Optional(Type.String({ pattern: '^\\+[1-9]\\d{6,14}$' })),
        }),
      },
      preValidation: desk,
    },
    async (request) =>
      invitations.conferenceCall(staffOf(request), request.params.id, request.body.department, request.body.agentPhone),
  );

  app.post(
    '/handoffs/:id/close',
    {
      schema: { tags, summary: 'End the human service with a disposition', params: Id, body: Close },
      preValidation: desk,
    },
    async (request) =>
      handoffs.close(
        staffOf(request),
        request.params.id,
        request.body.disposition,
        request.body.note === undefined ? undefined : storableText(request.body.note),
      ),
  );

  app.post(
    '/handoffs/:id/ticket',
    {
      schema: { tags, summary: 'Register a ticket from the conversation', params: Id, body: TicketBody },
      preValidation: desk,
    },
    async (request) => {
      const session = staffOf(request);
      const record = await handoffs.owned(session, request.params.id);
      const b = request.body;
      const ticket = await tickets.register(
        {
          demandType: b.demandType,
          categoryCode: b.categoryCode || null,
          description: b.description,
          name: b.name || null,
          phone: b.phone || null,
          idNumber: null,
          anonymous: b.anonymous ?? false,
          district: b.district || null,
          address: b.address || null,
          occurred: b.occurred || null,
          organisation: b.organisation || null,
          channelId: record.channelId,
          conversationId: record.conversationId,
        },
        { actor: session.actor.name },
      );
      await handoffs.auditAction(session, 'ticket.register', 'ticket', ticket.number);
      return ticket;
    },
  );

  app.post(
    '/tickets/:number/dispatch',
    {
      schema: {
        tags,
        summary: 'Dispatch a registered ticket to its department',
        params: Type.Object({ number: Type.String({ maxLength: 32 }) }),
        body: Empty,
      },
      preValidation: desk,
    },
    async (request) => {
      const session = staffOf(request);
      const ticket = await tickets.get(request.params.number);
      if (!ticket) throw new AppError('E_NOT_FOUND', `No ticket ${request.params.number}.`);
      // Only from a conversation the agent may see (or by a supervisor).
      const open = ticket.conversationId
        ? await handoffs.store.list({ conversationId: ticket.conversationId, limit: 1 })
        : [];
      if (!isSupervisor(session)) {
        if (!open[0]) throw new AppError('E_FORBIDDEN', 'This ticket is not from a conversation routed to you.');
        await handoffs.visible(session, open[0].id);
      }
      const dispatched = await tickets.transition(ticket.number, 'dispatched', session.actor.name);
      await handoffs.auditAction(session, 'ticket.dispatch', 'ticket', ticket.number);
      return dispatched;
    },
  );

  app.get(
    '/knowledge',
    {
      schema: { tags, summary: 'Search the knowledge base for an approved answer', querystring: Query },
      preValidation: desk,
    },
    async (request) => {
      const hits = await options.knowledge.search(request.query.q);
      return {
        hits: hits.slice(0, 8).map((h) => ({
          articleId: h.articleId,
          title: h.title,
          question: h.question,
          answer: h.answerFull,
          score: h.score,
          confidence: h.confidence,
        })),
      };
    },
  );

  app.get('/queues', { schema: { tags, summary: 'Queues to transfer to' }, preValidation: desk }, async () => ({
    queues: options.queues,
  }));

  app.get(
    '/agents',
    { schema: { tags, summary: 'Agents to transfer to or consult' }, preValidation: desk },
    async () => ({
      agents: (await handoffs.store.profiles()).map(agentOf),
    }),
  );

  app.get(
    '/supervisor',
    {
      schema: { tags, summary: 'Queues, waiting times, agents and live conversations' },
      preValidation: options.guard(SUPERVISOR_ROLES),
    },
    async () => {
      const [open, agents] = await Promise.all([
        handoffs.store.list({ open: true, limit: 500 }),
        handoffs.store.profiles(),
      ]);
      const now = Date.now();
      const queues = new Map<string, { queue: string; waiting: number; longestWaitMs: number }>();
      for (const name of options.queues) queues.set(name, { queue: name, waiting: 0, longestWaitMs: 0 });
      for (const h of open) {
        if (h.status === 'active') continue;
        const q = queues.get(h.queue) ?? { queue: h.queue, waiting: 0, longestWaitMs: 0 };
        q.waiting++;
        q.longestWaitMs = Math.max(q.longestWaitMs, now - Date.parse(h.queuedAt));
        queues.set(h.queue, q);
      }
      return {
        queues: [...queues.values()],
        agents: agents.map(agentOf),
        live: open.filter((h) => h.status === 'active').map(summaryOf),
      };
    },
  );

  await app.register(deskStream, { handoffs, broker, guard: desk });
};

const agentOf = (a: Awaited<ReturnType<HandoffService['profile']>>) => ({
  username: a.username,
  displayName: a.displayName,
  presence: a.presence,
  active: a.active,
  capacity: a.capacity,
  queues: a.queues,
  skills: a.skills,
  languages: a.languages,
  connected: a.connected,
  idleSince: a.idleSince.toISOString(),
});

const meOf = (a: Awaited<ReturnType<HandoffService['profile']>>) => ({ ...agentOf(a), roles: a.roles });
