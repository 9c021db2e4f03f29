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
const MAX_PASSWORD_LENGTH = 256;

/**
 * Passwords people pick first (NIST SP 800-63B: refuse known, expected or compromised values rather than
 * demand symbol classes), including the Chinese favourites; compared without case, digits and dots kept.
 */
const COMMON_PASSWORDS = new Set([
  '1234567890',
  '0123456789',
  '12345678910',
  '123456789a',
  'a123456789',
  '1q2w3e4r5t',
  'qwertyuiop',
  'qwerty1234',
  'asdfghjkl;',
  '1qaz2wsx3edc',
  'password12',
  'password123',
  'password1234',
  'passw0rd123',
  'iloveyou123',
  'woaini1314',
  'woaini5201314',
  '5201314520',
  '1314520520',
  'abc1234567',
  'abcd123456',
  'aa12345678',
  'admin12345',
  'admin123456',
  'administrator',
  'welcome123',
  'changeme123',
  'letmein123',
  'zhang123456',
  'wang123456',
  'li123456789',
  'qq123456789',
  'minsheng12345',
  'minsheng123',
  '12345hotline',
]);

export interface LockoutPolicy {
  /** Failed sign-ins in a row that lock an account. */
  maxFailures: number;
  lockoutMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockoutMs: 15 * 60_000 };

export interface StaffAccount {
  id: string;
  username: string;
  displayName: string;
  roles: StaffRole[];
  disabled: boolean;
  /** Set while too many failed sign-ins keep the account locked (the administrators' list shows it). */
  lockedUntil?: Date;
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
  private readonly sessionTtlSeconds: number;
  private readonly lockout: LockoutPolicy;

  constructor(
    private readonly db: Kysely<Database>,
    options: { sessionTtlSeconds?: number; lockout?: LockoutPolicy } = {},
  ) {
    this.sessionTtlSeconds = options.sessionTtlSeconds ?? 8 * 3600;
    this.lockout = options.lockout ?? DEFAULT_LOCKOUT;
  }

  async create(
    actor: Actor,
    input: { username: string; displayName: string; password: string; roles: StaffRole[] },
  ): Promise<StaffAccount> {
    if (!actor.roles.includes('admin')) throw new AppError('E_FORBIDDEN', 'only an administrator may add staff');
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(input.username))
      throw new AppError('E_VALIDATION', 'username: 2-64 lower-case letters, digits, dot, dash or underscore');
    checkPasswordPolicy(input.password, input.username);
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

  /**
   * An administrator changes an account's name, roles or whether it may sign in (disabling ends its sessions),
   * or unlocks it after too many failed sign-ins.
   */
  async update(
    actor: Actor,
    username: string,
    changes: { displayName?: string; roles?: StaffRole[]; disabled?: boolean; unlock?: boolean },
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
          ...(changes.unlock ? { locked_until: null, failed_logins: 0 } : {}),
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
    checkPasswordPolicy(next, session.account.username);
    if (next === current) throw new AppError('E_VALIDATION', 'password: choose a new one, not the current one');
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
    const who = { name: username.slice(0, 64), roles: [] };
    const target = { targetType: 'staff_account', targetId: username.slice(0, 64) };
    if (row?.locked_until && row.locked_until > new Date()) {
      // Not even the right password opens a locked account; the password is not checked at all.
      await audit(this.db, who, { action: 'staff.login.locked', ...target });
      throw lockedError(row.locked_until);
    }
    const ok = row
      ? await verifyPassword(password, row.password_hash)
      : await verifyPassword(password, await (decoyHash ??= hashPassword(randomUUID()))).then(() => false);
    if (!row || !ok || row.disabled) {
      const lockedUntil = row && !ok ? await this.countFailure(row.id) : undefined;
      await audit(this.db, who, [
        { action: 'staff.login.failed', ...target },
        ...(lockedUntil
          ? [{ action: 'staff.account.locked', ...target, detail: { until: lockedUntil.toISOString() } }]
          : []),
      ]);
      if (lockedUntil) throw lockedError(lockedUntil);
      throw new AppError('E_UNAUTHORIZED', 'Wrong username or password.');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.sessionTtlSeconds * 1000);
    await this.db.transaction().execute(async (trx) => {
      if (row.failed_logins > 0 || row.locked_until)
        await trx
          .updateTable('staff_accounts')
          .set({ failed_logins: 0, locked_until: null })
          .where('id', '=', row.id)
          .execute();
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

  /**
   * Counts a wrong password in one statement (concurrent attempts cannot slip past the limit); returns the
   * time the account is locked until when this failure reached the limit.
   */
  private async countFailure(accountId: string): Promise<Date | undefined> {
    const { maxFailures, lockoutMs } = this.lockout;
    const row = await this.db
      .updateTable('staff_accounts')
      .set({
        failed_logins: sql<number>`case when failed_logins + 1 >= ${maxFailures} then 0 else failed_logins + 1 end`,
        locked_until: sql<Date | null>`case when failed_logins + 1 >= ${maxFailures}
          then now() + make_interval(secs => ${lockoutMs / 1000}) else locked_until end`,
      })
      .where('id', '=', accountId)
      .returning(['failed_logins', 'locked_until'])
      .executeTakeFirst();
    return row?.failed_logins === 0 && row.locked_until ? row.locked_until : undefined;
  }

  async logout(token: string, actor: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('staff_sessions').where('token_hash', '=', sha256(token)).execute();
      await audit(trx, actor, { action: 'staff.logout', targetType: 'staff_account', targetId: actor.name });
    });
  }
}

function lockedError(until: Date): AppError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new AppError(
    'E_RATE_LIMITED',
    `Too many failed sign-ins: this account is locked for ${minutes} more minute(s), or until an administrator unlocks it.`,
    { lockedUntil: until.toISOString() },
  );
}

/**
 * The password policy (NIST SP 800-63B): long enough, not too long to hash, and not guessable: not the
 * username, not a commonly chosen password, not one character repeated or a run such as 1234567890.
 */
export function checkPasswordPolicy(password: string, username?: string): void {
  const refuse = (why: string) => {
    throw new AppError('E_VALIDATION', `password: ${why}`);
  };
  if ([...password].length < MIN_PASSWORD_LENGTH) refuse(`at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) refuse(`at most ${MAX_PASSWORD_LENGTH} characters`);
  const folded = password.toLowerCase();
  if (username && folded.includes(username.toLowerCase())) refuse('must not contain the username');
  if (COMMON_PASSWORDS.has(folded)) refuse('too common, choose another');
  if (new Set(folded).size <= 2) refuse('too few different characters');
  if (isRun(folded)) refuse('a run of keys such as 1234567890 or abcdefghij is too easy to guess');
}

/** Each character one code point after (or before) the previous one. */
function isRun(text: string): boolean {
  const codes = [...text].map((c) => c.codePointAt(0)!);
  const step = codes[1]! - codes[0]!;
  return Math.abs(step) === 1 && codes.every((c, i) => i === 0 || c - codes[i - 1]! === step);
}

function accountOf(row: {
  id: string;
  username: string;
  display_name: string;
  roles: string[];
  disabled: boolean;
  locked_until?: Date | null;
}): StaffAccount {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: row.roles as StaffRole[],
    disabled: row.disabled,
    ...(row.locked_until && row.locked_until > new Date() ? { lockedUntil: row.locked_until } : {}),
  };
}

const actorOf = (account: StaffAccount): Actor => ({ name: account.username, roles: account.roles });
