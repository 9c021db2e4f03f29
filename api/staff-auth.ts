import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { STAFF_ROLES, type StaffAccounts, type StaffSession } from '../core/accounts.js';
import { AppError } from '../core/errors.js';

export const SESSION_COOKIE = 'minsheng_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in staff member, set by `requireStaff`. */
    staff?: StaffSession;
  }
}

export interface StaffAuthOptions {
  accounts: StaffAccounts;
  /** Sets the cookie's Secure flag when the gateway is served over https. */
  secureCookies: boolean;
  loginsPerMinute?: number;
}

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Staff ')) return header.slice(6).trim();
  return request.cookies[SESSION_COOKIE];
}

/**
 * A pre-handler that lets only signed-in staff with one of the roles through: 401 without a valid session,
 * 403 with the wrong role. Mutating requests must also carry JSON (a cross-site form cannot) and, when the
 * browser says where it comes from, come from this origin: together with the SameSite=Strict cookie that
 * is the console's CSRF defence.
 */
export function requireStaff(accounts: StaffAccounts, roles: readonly string[]): preValidationAsyncHookHandler {
  return async (request) => {
    const token = tokenOf(request);
    const session = token ? await accounts.session(token) : undefined;
    if (!session) throw new AppError('E_UNAUTHORIZED', 'Sign in first.');
    if (!session.account.roles.some((r) => roles.includes(r)))
      throw new AppError('E_FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') checkSameOrigin(request);
    request.staff = session;
  };
}

function checkSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin && new URL(origin).host !== request.headers.host)
    throw new AppError('E_FORBIDDEN', 'Cross-origin requests are not allowed here.');
  if (request.body !== undefined && !request.headers['content-type']?.startsWith('application/json'))
    throw new AppError('E_UNSUPPORTED_MEDIA_TYPE', 'Send JSON.');
}

const Login = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});

const Me = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(Type.String()),
  expiresAt: Type.String({ format: 'date-time' }),
});

/**
 * Sign-in for staff (agents, editors, reviewers, supervisors, administrators) with a session cookie.
 * Needs @fastify/cookie registered on the root instance (app.ts), so every route can read the session.
 */
export async function staffAuth(app: FastifyInstance, options: StaffAuthOptions): Promise<void> {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: options.secureCookies,
  };

  app.post(
    '/api/auth/login',
    {
      schema: { tags: ['staff'], summary: 'Sign in', body: Login, response: { 200: Me } },
      // A user name and a password (at most 64 and 256 characters): 4 KB refuses anything else early.
      bodyLimit: 4 * 1024,
      config: { rateLimit: { max: options.loginsPerMinute ?? 10, timeWindow: 60_000 } },
      // Another site may not sign a browser in (to an account of its choosing) either.
      preValidation: async (request) => checkSameOrigin(request),
    },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string };
      const { token, session } = await options.accounts.login(username, password);
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, expires: session.expiresAt });
      return me(session);
    },
  );

  app.post('/api/auth/logout', { schema: { tags: ['staff'], summary: 'Sign out' } }, async (request, reply) => {
    // Another site may not sign staff out.
    checkSameOrigin(request);
    const token = tokenOf(request);
    const session = token ? await options.accounts.session(token) : undefined;
    if (token && session) await options.accounts.logout(token, session.actor);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.code(204).send();
  });

  app.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['staff'],
        summary: 'Change my password (ends my other sessions)',
        body: Type.Object({
          current: Type.String({ minLength: 1, maxLength: 256 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
      },
      preValidation: requireStaff(options.accounts, STAFF_ROLES),
      config: { rateLimit: { max: options.loginsPerMinute ?? 10, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      const { current, password } = request.body as { current: string; password: string };
      await options.accounts.changePassword(request.staff!, tokenOf(request)!, current, password);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      schema: { tags: ['staff'], summary: 'The signed-in staff member', response: { 200: Me } },
      preValidation: requireStaff(options.accounts, STAFF_ROLES),
    },
    async (request) => me(request.staff!),
  );
}

const me = (session: StaffSession) => ({
  username: session.account.username,
  displayName: session.account.displayName,
  roles: session.account.roles,
  expiresAt: session.expiresAt.toISOString(),
});
