import { createHash, randomBytes, randomUUID, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { audit, SYSTEM_ACTOR, type Actor } from './audit.js';
import type { Database } from './db/schema.js';
import { AppError } from './errors.js';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Staff roles. Agents answer citizens, editors write knowledge, reviewers approve it, supervisors watch. */
export const STAFF_ROLES = ['agent', 'editor', 'reviewer', 'supervisor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** scrypt at N=2^15, r=8: about 50 ms here, OWASP's recommended floor; parameters live in each hash. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 };
const MIN_PASSWORD_LENGTH = 10;

export interface StaffAccount {
  id: string;
  username: string;
  displayName: string;
  roles: StaffRole[];
  disabled: boolean;
}

export interface StaffSession {
  account: StaffAccount;
  actor: Actor;
  expiresAt: Date;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = SCRYPT;
  const hash = await scrypt(password, salt, keylen, { N, r, p, maxmem: 128 * N * r * 2 });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const N = Number(n);
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N,
    r: Number(r),
    p: Number(p),
    maxmem: 128 * N * Number(r) * 2,
  });
  return timingSafeEqual(actual, expected);
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A hash to compare against when the username is unknown, so a miss takes as long as a wrong password. */
let decoyHash: Promise<string> | undefined;

/** Staff accounts and their sessions. Passwords are scrypt hashes; only hashes of session tokens are stored. */
export class StaffAccounts {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sessionTtlSeconds = 8 * 3600,
  ) {}

  async create(
    actor: Actor,
    input: { username: string; displayName: string; password: string; roles: StaffRole[] },
  ): Promise<StaffAccount> {
    if (!actor.roles.includes('admin')) throw new AppError('E_FORBIDDEN', 'only an administrator may add staff');
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(input.username))
      throw new AppError('E_VALIDATION', 'username: 2-64 lower-case letters, digits, dot, dash or underscore');
    checkPasswordPolicy(input.password);
    const unknown = input.roles.filter((r) => !(STAFF_ROLES as readonly string[]).includes(r));
    if (unknown.length) throw new AppError('E_VALIDATION', `unknown roles: ${unknown.join(', ')}`);
    const id = randomUUID();
    const password_hash = await hashPassword(input.password);
    await this.db.transaction().execute(async (trx) => {
      const taken = await trx
        .insertInto('staff_accounts')
        .values({
          id,
          username: input.username,
          display_name: input.displayName,
          password_hash,
          roles: JSON.stringify(input.roles),
        })
        .onConflict((oc) => oc.column('username').doNothing())
        .executeTakeFirst();
      if (taken.numInsertedOrUpdatedRows === 0n)
        throw new AppError('E_CONFLICT', `username ${input.username} is taken`);
      await audit(trx, actor, {
        action: 'staff.account.create',
        targetType: 'staff_account',
        targetId: input.username,
        detail: { roles: input.roles },
      });
    });
    return { id, username: input.username, displayName: input.displayName, roles: input.roles, disabled: false };
  }

  /** Every account, by username. */
  async list(): Promise<StaffAccount[]> {
    const rows = await this.db.selectFrom('staff_accounts').selectAll().orderBy('username').execute();
    return rows.map(accountOf);
  }

  /** An administrator changes an account's name, roles or whether it may sign in; disabling ends its sessions. */
  async update(
    actor: Actor,
    username: string,
    changes: { displayName?: string; roles?: StaffRole[]; disabled?: boolean },
  ): Promise<StaffAccount> {
    if (!actor.roles.includes('admin')) throw new AppError('E_FORBIDDEN', 'only an administrator may change staff');
    const unknown = (changes.roles ?? []).filter((r) => !(STAFF_ROLES as readonly string[]).includes(r));
    if (unknown.length) throw new AppError('E_VALIDATION', `unknown roles: ${unknown.join(', ')}`);
    if (username === actor.name && (changes.disabled || (changes.roles && !changes.roles.includes('admin'))))
      throw new AppError('E_CONFLICT', 'an administrator cannot disable themselves or drop their own admin role');
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('staff_accounts')
        .set({
          ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
          ...(changes.roles ? { roles: JSON.stringify(changes.roles) } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
          updated_at: sql`now()`,
        })
        .where('username', '=', username)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new AppError('E_NOT_FOUND', `no staff account ${username}`);
      if (changes.disabled || changes.roles)
        await trx.deleteFrom('staff_sessions').where('account_id', '=', row.id).execute();
      await audit(trx, actor, {
        action: 'staff.account.update',
        targetType: 'staff_account',
        targetId: username,
        detail: changes,
      });
      return accountOf(row);
    });
  }

  /** A staff member changes their own password (the current one proves it is them); other sessions end. */
  async changePassword(session: StaffSession, token: string, current: string, next: string): Promise<void> {
    checkPasswordPolicy(next);
    const row = await this.db
      .selectFrom('staff_accounts')
      .select('password_hash')
      .where('id', '=', session.account.id)
      .executeTakeFirstOrThrow();
    if (!(await verifyPassword(current, row.password_hash)))
      throw new AppError('E_FORBIDDEN', 'The current password is wrong.');
    const password_hash = await hashPassword(next);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('staff_accounts')
        .set({ password_hash, updated_at: sql`now()` })
        .where('id', '=', session.account.id)
        .execute();
      await trx
        .deleteFrom('staff_sessions')
        .where('account_id', '=', session.account.id)
        .where('token_hash', '<>', sha256(token))
        .execute();
      await audit(trx, session.actor, {
        action: 'staff.password.change',
        targetType: 'staff_account',
        targetId: session.actor.name,
      });
    });
  }

  /**
   * The first administrator, when there is no account at all. Returns the password when it made one up
   * (the caller shows it once), undefined when accounts exist already.
   */
  async ensureAdmin(password?: string): Promise<{ username: string; generatedPassword?: string } | undefined> {
    const any = await this.db.selectFrom('staff_accounts').select('id').limit(1).executeTakeFirst();
    if (any) return undefined;
    const generated = password ? undefined : randomBytes(12).toString('base64url');
    try {
      await this.create(SYSTEM_ACTOR, {
        username: 'admin',
        displayName: '系统管理员',
        password: password ?? generated!,
        roles: ['admin'],
      });
    } catch (error) {
      // Another instance made it first.
      if (error instanceof AppError && error.code === 'E_CONFLICT') return undefined;
      throw error;
    }
    return { username: 'admin', generatedPassword: generated };
  }

  /** Checks a username and password and opens a session. Unknown user and wrong password look alike. */
  async login(username: string, password: string): Promise<{ token: string; session: StaffSession }> {
    const row = await this.db
      .selectFrom('staff_accounts')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    const ok = row
      ? await verifyPassword(password, row.password_hash)
      : await verifyPassword(password, await (decoyHash ??= hashPassword(randomUUID()))).then(() => false);
    if (!row || !ok || row.disabled) {
      await audit(
        this.db,
        { name: username.slice(0, 64), roles: [] },
        {
          action: 'staff.login.failed',
          targetType: 'staff_account',
          targetId: username.slice(0, 64),
        },
      );
      throw new AppError('E_UNAUTHORIZED', 'Wrong username or password.');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.sessionTtlSeconds * 1000);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('staff_sessions')
        .values({ token_hash: sha256(token), account_id: row.id, expires_at: expiresAt })
        .execute();
      await trx
        .deleteFrom('staff_sessions')
        .where('expires_at', '<', sql<Date>`now()`)
        .execute();
      await audit(
        trx,
        { name: row.username, roles: row.roles },
        {
          action: 'staff.login',
          targetType: 'staff_account',
          targetId: row.username,
        },
      );
    });
    const account = accountOf(row);
    return { token, session: { account, actor: actorOf(account), expiresAt } };
  }

  /** The session a token belongs to, if it is valid and its account enabled. */
  async session(token: string): Promise<StaffSession | undefined> {
    const row = await this.db
      .selectFrom('staff_sessions as s')
      .innerJoin('staff_accounts as a', 'a.id', 's.account_id')
      .select(['a.id', 'a.username', 'a.display_name', 'a.roles', 'a.disabled', 's.expires_at'])
      .where('s.token_hash', '=', sha256(token))
      .where('s.expires_at', '>', sql<Date>`now()`)
      .where('a.disabled', '=', false)
      .executeTakeFirst();
    if (!row) return undefined;
    const account = accountOf(row);
    return { account, actor: actorOf(account), expiresAt: row.expires_at };
  }

  async logout(token: string, actor: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('staff_sessions').where('token_hash', '=', sha256(token)).execute();
      await audit(trx, actor, { action: 'staff.logout', targetType: 'staff_account', targetId: actor.name });
    });
  }
}

export function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AppError('E_VALIDATION', `password: at least ${MIN_PASSWORD_LENGTH} characters`);
}

function accountOf(row: {
  id: string;
  username: string;
  display_name: string;
  roles: string[];
  disabled: boolean;
}): StaffAccount {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: row.roles as StaffRole[],
    disabled: row.disabled,
  };
}

const actorOf = (account: StaffAccount): Actor => ({ name: account.username, roles: account.roles });
