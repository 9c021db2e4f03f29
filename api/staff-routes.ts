import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STAFF_ROLES, type StaffAccounts, type StaffRole } from '../core/accounts.js';
import { AppError } from '../core/errors.js';
import type { HandoffService } from '../handoff/handoff-service.js';
import { requireStaff } from './staff-auth.js';

export interface StaffRoutesOptions {
  accounts: StaffAccounts;
  handoffs: HandoffService;
  /** The agents' queues an agent may be set to serve. */
  queues: readonly string[];
}

const tags = ['staff'];
const Role = Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)));
const Username = Type.Object({ username: Type.String({ minLength: 2, maxLength: 64 }) });
const NewAccount = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64 }),
  displayName: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
  roles: Type.Array(Role, { minItems: 1, uniqueItems: true }),
});
const AccountChanges = Type.Object({
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  roles: Type.Optional(Type.Array(Role, { minItems: 1, uniqueItems: true })),
  disabled: Type.Optional(Type.Boolean()),
  /** Lifts a lock left by too many failed sign-ins. */
  unlock: Type.Optional(Type.Boolean()),
});
const Names = (max: number) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: max, uniqueItems: true });
const DeskSettings = Type.Object({
  queues: Type.Optional(Names(20)),
  skills: Type.Optional(Names(100)),
  languages: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]{2,3}$' }), { maxItems: 10, uniqueItems: true })),
  capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
});

/**
 * Staff administration: administrators add accounts, change their roles and disable them; supervisors set
 * what an agent serves on the desk (queues, skills such as `category:01.05` or `department:市住建局`,
 * languages, capacity). Every change is audited.
 */
export const staffRoutes: FastifyPluginAsyncTypebox<StaffRoutesOptions> = async (app, options) => {
  const { accounts, handoffs } = options;
  const admin = requireStaff(accounts, ['admin']);

  app.get('/', { schema: { tags, summary: 'Staff accounts' }, preValidation: admin }, async () => ({
    items: await accounts.list(),
  }));

  app.post(
    '/',
    { schema: { tags, summary: 'Add a staff account', body: NewAccount }, preValidation: admin },
    async (request, reply) => {
      const account = await accounts.create(request.staff!.actor, {
        ...request.body,
        roles: request.body.roles as StaffRole[],
      });
      return reply.code(201).send(account);
    },
  );

  app.patch(
    '/:username',
    {
      schema: {
        tags,
        summary: 'Change an account: name, roles, disabled, or unlock it',
        params: Username,
        body: AccountChanges,
      },
      preValidation: admin,
    },
    async (request) =>
      accounts.update(request.staff!.actor, request.params.username, {
        ...request.body,
        roles: request.body.roles as StaffRole[] | undefined,
      }),
  );

  app.put(
    '/:username/desk',
    {
      schema: { tags, summary: 'What an agent serves on the desk', params: Username, body: DeskSettings },
      preValidation: requireStaff(accounts, ['supervisor', 'admin']),
    },
    async (request) => {
      const unknown = (request.body.queues ?? []).filter((q) => !options.queues.includes(q));
      if (unknown.length) throw new AppError('E_VALIDATION', `No such queue: ${unknown.join(', ')}.`);
      const profile = await handoffs.configureAgent(request.staff!, request.params.username, request.body);
      return {
        username: profile.username,
        queues: profile.queues,
        skills: profile.skills,
        languages: profile.languages,
        capacity: profile.capacity,
      };
    },
  );
};
