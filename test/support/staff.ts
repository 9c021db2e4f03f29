import { expect } from 'vitest';
import { SYSTEM_ACTOR } from '../../core/audit.js';
import { StaffAccounts, type StaffRole } from '../../core/accounts.js';
import { openDatabase } from '../../core/db/database.js';
import { createLogger } from '../../core/logger.js';
import type { TestGateway } from './gateway.js';

export const STAFF_PASSWORD = 'correct-horse-battery';

export type StaffClient = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Creates a staff account (password STAFF_PASSWORD) in the PostgreSQL database gateway processes share. */
export async function createStaffIn(
  databaseUrl: string,
  account: { username: string; displayName: string; roles: StaffRole[] },
): Promise<void> {
  const handle = await openDatabase({ databaseUrl, dataDir: '', logger: createLogger({ level: 'silent' }) });
  try {
    await new StaffAccounts(handle.db).create(SYSTEM_ACTOR, { ...account, password: STAFF_PASSWORD });
  } finally {
    await handle.close();
  }
}

/** Creates a staff account with these roles (password STAFF_PASSWORD). */
export async function createStaff(gw: TestGateway, username: string, roles: StaffRole[]): Promise<void> {
  await gw.accounts.create(SYSTEM_ACTOR, { username, displayName: username, password: STAFF_PASSWORD, roles });
}

/**
 * A signed-in staff member's HTTP client for the API under `prefix`: the session cookie from a real login,
 * checked to be HttpOnly and SameSite=Strict.
 */
export async function signIn(gw: TestGateway, username: string, prefix = '/api/knowledge'): Promise<StaffClient> {
  const response = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: STAFF_PASSWORD }),
  });
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie')!;
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  const session = cookie.split(';')[0]!;
  return async (method, path, body, headers = {}) => {
    const r = await fetch(`${gw.url}${prefix}${path}`, {
      method,
      headers: { cookie: session, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  };
}
