import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StaffAccounts } from '../core/accounts.js';
import type { DatabaseDeadLetters } from '../core/queue/dead-letters.js';
import { requireStaff } from './staff-auth.js';

export interface OperationsRoutesOptions {
  accounts: StaffAccounts;
  deadLetters: DatabaseDeadLetters;
}

/** Who may look at the gateway's operations: failed jobs and undeliverable replies. */
export const OPERATIONS_ROLES = ['supervisor', 'admin'] as const;

const DeadLetterQuery = Type.Object({
  queue: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

/** Operations views for supervisors: the dead letters (jobs that exhausted or could not use their attempts). */
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
};
