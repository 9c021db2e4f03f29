/**
 * The gateway's own defences, through a whole gateway: security headers on every kind of response, the
 * password policy, lockout after failed sign-ins (and an administrator's unlock), and an audit log that
 * neither the API nor SQL can edit.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from '../core/accounts.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createStaff, signIn, STAFF_PASSWORD, type StaffClient } from './support/staff.js';

let gw: TestGateway;
let admin: StaffClient;

beforeAll(async () => {
  // Three failures lock for a minute: the lockout is reached inside the sign-in route's own rate limit.
  gw = await startTestGateway({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '1' } });
  await createStaff(gw, 'root', ['admin']);
  await createStaff(gw, 'xiaozhang', ['agent']);
  admin = await signIn(gw, 'root', '/api/staff');
});
afterAll(() => gw?.cleanup());

const login = (username: string, password: string) =>
  fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });

describe('security headers', () => {
  it('sends them on the API, the citizen page and the staff pages', async () => {
    for (const url of ['/healthz', '/v3/directline/conversations', '/api/staff', '/', '/console', '/dashboard']) {
      const response = await fetch(`${gw.url}${url}`);
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), url).toBe('SAMEORIGIN');
      expect(response.headers.get('cross-origin-opener-policy'), url).toBe('same-origin');
      expect(response.headers.get('x-powered-by'), url).toBeNull();
    }
    for (const url of ['/', '/console', '/desk', '/dashboard']) {
      const csp = (await fetch(`${gw.url}${url}`)).headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toContain('unsafe-eval');
    }
    // Over plain http (no https PUBLIC_URL) there is no HSTS: a browser would ignore it anyway.
    expect((await fetch(`${gw.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
  });
});

describe('cross-site request forgery', () => {
  it('refuses a cross-site form or cross-origin request on every state-changing staff route', async () => {
    await createStaff(gw, 'allroles', ['admin', 'agent', 'editor', 'reviewer', 'supervisor']);
    // Signed in without the HTTP route, whose own rate limit the lockout tests below need.
    const session = `minsheng_session=${(await gw.accounts.login('allroles', STAFF_PASSWORD)).token}`;
    const document = (await (await fetch(`${gw.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })),
    );
    // Staff routes: /api/join is the department's, authorised by the link's token in the path, not a cookie.
    const staffRoutes = routes.filter((r) => r.path.startsWith('/api/') && !r.path.startsWith('/api/join/'));
    expect(staffRoutes.length).toBeGreaterThan(30);
    const auditBefore = await gw.database.db.selectFrom('audit_log').select('id').execute();
    for (const { method, path } of staffRoutes) {
      // What an attacker's page can send with the victim's cookie: an HTML form post...
      const form = await fetch(`${gw.url}${path}`, {
        method,
        headers: {
          cookie: session,
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://evil.example',
        },
        body: 'username=x&password=y',
      });
      expect([403, 404, 415], `${method} ${path} (form)`).toContain(form.status);
      // ...or a JSON request from another origin (CORS would hide the answer, not stop the request).
      const json = await fetch(`${gw.url}${path}`, {
        method,
        headers: { cookie: session, 'content-type': 'application/json', origin: 'https://evil.example' },
        body: '{}',
      });
      expect([403, 404], `${method} ${path} (cross-origin JSON)`).toContain(json.status);
    }
    // Nothing happened, so nothing was audited (sign-in aside).
    const auditAfter = await gw.database.db.selectFrom('audit_log').select(['id', 'action']).execute();
    expect(auditAfter.slice(auditBefore.length).map((a) => a.action)).toEqual([]);
  });
});

describe('password policy', () => {
  it.each([
    ['short', 'at least 10'],
    ['1234567890', 'too common'],
    ['WoAiNi1314', 'too common'],
    ['abcdefghijk', 'run of keys'],
    ['9876543210', 'run of keys'],
    ['aaaaaaaaaaaa', 'too few different'],
    ['ababababababab', 'too few different'],
    ['my-name-is-xiaozhang', 'username'],
  ])('refuses %s', (password, why) => {
    expect(() => checkPasswordPolicy(password, 'xiaozhang')).toThrow(why);
  });

  it('accepts a passphrase, in Chinese too', () => {
    expect(() => checkPasswordPolicy(STAFF_PASSWORD, 'xiaozhang')).not.toThrow();
    expect(() => checkPasswordPolicy('春眠不觉晓处处闻啼鸟夜来', 'xiaozhang')).not.toThrow();
  });

  it('applies to new accounts over the API', async () => {
    const response = await admin('POST', '/', {
      username: 'xiaoli',
      displayName: '小李',
      password: 'xiaoli-12345',
      roles: ['agent'],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('username');
  });
});

describe('sign-in lockout', () => {
  it('locks an account after too many failures, even against the right password, until an admin unlocks it', async () => {
    expect((await login('xiaozhang', 'wrong-password-1')).status).toBe(401);
    expect((await login('xiaozhang', 'wrong-password-2')).status).toBe(401);
    const locking = await login('xiaozhang', 'wrong-password-3');
    expect(locking.status).toBe(429);
    expect(((await locking.json()) as { error: { message: string } }).error.message).toMatch(/locked for 1 more/);
    // The right password does not open a locked account.
    expect((await login('xiaozhang', STAFF_PASSWORD)).status).toBe(429);
    // Other accounts are not affected.
    const listed = (await admin('GET', '/')).body.items as { username: string; lockedUntil?: string }[];
    expect(listed.find((a) => a.username === 'xiaozhang')?.lockedUntil).toBeDefined();
    expect(listed.find((a) => a.username === 'root')?.lockedUntil).toBeUndefined();

    expect((await admin('PATCH', '/xiaozhang', { unlock: true })).status).toBe(200);
    expect((await login('xiaozhang', STAFF_PASSWORD)).status).toBe(200);

    const actions = await gw.database.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('target_id', '=', 'xiaozhang')
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'staff.account.create',
      'staff.login.failed',
      'staff.login.failed',
      'staff.login.failed',
      'staff.account.locked',
      'staff.login.locked',
      'staff.account.update',
      'staff.login',
    ]);
  });

  it('counts failures since the last good sign-in only', async () => {
    await createStaff(gw, 'xiaowang', ['agent']);
    await expect(gw.accounts.login('xiaowang', 'wrong-password-1')).rejects.toThrow('Wrong username');
    await expect(gw.accounts.login('xiaowang', 'wrong-password-2')).rejects.toThrow('Wrong username');
    await gw.accounts.login('xiaowang', STAFF_PASSWORD);
    await expect(gw.accounts.login('xiaowang', 'wrong-password-3')).rejects.toThrow('Wrong username');
    await expect(gw.accounts.login('xiaowang', 'wrong-password-4')).rejects.toThrow('Wrong username');
    const row = await gw.database.db
      .selectFrom('staff_accounts')
      .select(['failed_logins', 'locked_until'])
      .where('username', '=', 'xiaowang')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_logins: 2, locked_until: null });
  });
});

describe('audit log', () => {
  it('has no route that changes it', () => {
    const routes = gw.app.printRoutes({ commonPrefix: false });
    const auditRoutes = routes.split('\n').filter((line) => /audit/.test(line));
    expect(auditRoutes.length).toBeGreaterThan(0);
    for (const line of auditRoutes) expect(line).not.toMatch(/\b(POST|PUT|PATCH|DELETE)\b/);
  });

  it('refuses updates, deletes and truncation in the database itself', async () => {
    const db = gw.database.db;
    const before = await db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    await expect(db.updateTable('audit_log').set({ actor: 'someone-else' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    const after = await db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});
