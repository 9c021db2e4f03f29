import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StaffAccounts } from '../core/accounts.js';
import type { CallRecords } from '../core/call-records.js';
import { maskPii } from '../core/pii.js';
import type { DatabaseDeadLetters } from '../core/queue/dead-letters.js';
import { requireStaff } from './staff-auth.js';

export interface OperationsRoutesOptions {
  accounts: StaffAccounts;
  deadLetters: DatabaseDeadLetters;
  calls: CallRecords;
}

/** Who may look at the gateway's operations: failed jobs and undeliverable replies. */
export const OPERATIONS_ROLES = ['supervisor', 'admin'] as const;

/** Every list here pages the same way. */
const page = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};

const DeadLetterQuery = Type.Object({ queue: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), ...page });

const VoiceCallQuery = Type.Object({ open: Type.Boolean({ default: false }), ...page });

/**
 * Operations views for supervisors: the dead letters (jobs that exhausted or could not use their attempts)
 * and the voice calls (live and past, with how each ended; the caller's number masked).
 */
export const operationsRoutes: FastifyPluginAsyncTypebox<OperationsRoutesOptions> = async (app, options) => {
  const supervise = requireStaff(options.accounts, OPERATIONS_ROLES);
  app.get(
    '/dead-letters',
    {
      schema: {
        tags: ['operations'],
        summary: 'Jobs that failed for good (newest first): undeliverable replies, failed turns, re-embedding',
        querystring: DeadLetterQuery,
      },
      preValidation: supervise,
    },
    async (request) => {
      const { queue, limit, offset } = request.query;
      const items = await options.deadLetters.list({ queue, limit, offset });
      return { items, limit, offset };
    },
  );
  app.get(
    '/voice-calls',
    {
      schema: {
        tags: ['operations'],
        summary: 'Voice calls, newest first (open=true: those in progress); the conversation holds the transcript',
        querystring: VoiceCallQuery,
      },
      preValidation: supervise,
    },
    async (request) => {
      const { open, limit, offset } = request.query;
      const calls = await options.calls.list({ open, limit, offset });
      return { items: calls.map((call) => ({ ...call, caller: call.caller && maskPii(call.caller) })), limit, offset };
    },
  );
};
