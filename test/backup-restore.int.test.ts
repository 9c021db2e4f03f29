/**
 * `npm run backup` / `npm run restore` as an operator runs them, on real gateways: a web chat conversation
 * stored by one gateway comes back, activity for activity, from a gateway started on the restored copy,
 * and the citizen's own Direct Line token still opens it (the token secret is data too). Embedded PGlite
 * (refused while a gateway holds the directory) and PostgreSQL (pg_dump from a running system, pg_restore
 * into a second database).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../scripts/backup.js';
import { Citizen, type SeenActivity } from './support/desk-client.js';
import { eventually, TEST_DIRECTLINE_SECRET } from './support/gateway.js';
import { freePort, spawnGateway, stopGracefully, type GatewayProcess } from './support/process.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './support/services.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const GATEWAY_ENV = {
  DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET,
  NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
  ANALYTICS_REPORTS: 'off',
};

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run backup|restore -- ...args` (the same `tsx scripts/backup.ts`, without npm's own start-up). */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const QUESTION = '社保卡丢了怎么补办';

/** The bot's replies to `asked`, once there are two (the knowledge base's answer and "did this help?"). */
async function repliesTo(citizen: Citizen, asked: string): Promise<SeenActivity[]> {
  return eventually(
    async () => {
      const replies = (await citizen.activities()).filter((a) => (a as { replyToId?: string }).replyToId === asked);
      return replies.length >= 2 ? replies : undefined;
    },
    20_000,
    'the replies',
  );
}

/** The same CLI called in this process: for the refusals, which stop before any database work. */
async function cliHere(args: string[], env: Record<string, string>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const sink = (write: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk));
        done();
      },
    });
  const code = await main(args, env, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
  });
  return { code, stdout, stderr };
}

/** A web chat conversation with a question the demo knowledge base answers, and its replies. */
async function conversationOn(gateway: GatewayProcess): Promise<{ citizen: Citizen; activities: SeenActivity[] }> {
  const citizen = await Citizen.open(gateway.url);
  await repliesTo(citizen, await citizen.say(QUESTION));
  return { citizen, activities: await citizen.activities() };
}

/**
 * The restored copy serves the conversation as it was, to the citizen's own token, and its knowledge base
 * (articles, embeddings, the vector index) answers the question again with the same approved answer.
 */
async function expectServedAsBefore(restored: GatewayProcess, citizen: Citizen, before: SeenActivity[]) {
  const same = citizen.at(restored.url);
  expect(shown(await same.activities())).toEqual(shown(before));
  const question = before.find((a) => a.text === QUESTION)!;
  const answer = before.find((a) => (a as { replyToId?: string }).replyToId === question.id)!;
  const again = await repliesTo(same, await same.say(QUESTION));
  expect(again[0]!.text).toBe(answer.text);
}

/** What a client sees of the activities: enough to tell that nothing changed. */
const shown = (activities: SeenActivity[]) => activities.map((a) => ({ id: a.id, from: a.from, text: a.text }));

const postgresSkip = await postgresUnavailable();

// The two engines' runs are independent: side by side, the file takes as long as the slower one.
describe.concurrent('backup and restore', () => {
  describe('backup and restore of the embedded database', () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('refuses while a gateway runs, then restores a copy a gateway serves the same conversation from', async () => {
      const work = await mkdtemp(path.join(tmpdir(), 'minsheng-backup-'));
      cleanups.push(() => rm(work, { recursive: true, force: true }));
      const dataDir = path.join(work, 'data');
      const archive = path.join(work, 'backups', 'minsheng.tar.gz');
      // A first start on PGlite (initdb, migrations, the demo knowledge base) takes long on a loaded machine.
      const gateway = await spawnGateway({ ...GATEWAY_ENV, MINSHENG_DATA_DIR: dataDir }, await freePort(), 60_000);
      cleanups.push(() => stopGracefully(gateway));
      const { citizen, activities } = await conversationOn(gateway);

      const refused = await cliHere(['backup', '--out', archive], { MINSHENG_DATA_DIR: dataDir });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`in use by process ${gateway.child.pid}`);
      expect(refused.stderr).toContain('Stop it first');
      expect(existsSync(archive)).toBe(false);

      await stopGracefully(gateway);
      const backup = await cli(['backup', '--out', archive], { MINSHENG_DATA_DIR: dataDir });
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(/Backed up the embedded database to .+ \(\d+(\.\d)? [KM]iB\)/);
      expect(backup.stdout).toContain('conversations 1,');

      // Into a directory that does not exist yet; a second restore there is refused.
      const restoredDir = path.join(work, 'restored');
      const restore = await cli(['restore', '--from', archive, '--data-dir', restoredDir], {});
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout).toContain(`activities ${activities.length},`);
      const again = await cliHere(['restore', '--from', archive, '--data-dir', restoredDir], {});
      expect(again.code).toBe(4);
      expect(again.stderr).toContain('--force');

      const restored = await spawnGateway({ ...GATEWAY_ENV, MINSHENG_DATA_DIR: restoredDir }, await freePort(), 60_000);
      cleanups.push(() => stopGracefully(restored));
      await expectServedAsBefore(restored, citizen, activities);
    }, 120_000);
  });

  describe.skipIf(postgresSkip)('backup and restore of PostgreSQL with pg_dump and pg_restore', () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('dumps a running system and restores it into an empty database a gateway then serves', async () => {
      const work = await mkdtemp(path.join(tmpdir(), 'minsheng-pgdump-'));
      cleanups.push(() => rm(work, { recursive: true, force: true }));
      const source: TestDatabase = await createTestDatabase();
      cleanups.push(() => source.drop());
      const target: TestDatabase = await createTestDatabase();
      cleanups.push(() => target.drop());
      const archive = path.join(work, 'minsheng.dump');
      const env = { ...GATEWAY_ENV, MINSHENG_DATA_DIR: path.join(work, 'data') };

      const gateway = await spawnGateway({ ...env, DATABASE_URL: source.url }, await freePort(), 60_000);
      cleanups.push(() => stopGracefully(gateway));
      const { citizen, activities } = await conversationOn(gateway);

      // pg_dump reads one snapshot: the gateway keeps running.
      const backup = await cli(['backup', '--out', archive], { DATABASE_URL: source.url });
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stderr).toMatch(/dumped \d+\/\d+ tables/);
      expect(backup.stdout).toContain('conversations 1,');
      await stopGracefully(gateway);
      // A PostgreSQL dump is not for the embedded database: refused, naming the way that works.
      const wrongKind = await cliHere(['restore', '--from', archive, '--data-dir', path.join(work, 'data')], {});
      expect(wrongKind.code).toBe(6);
      expect(wrongKind.stderr).toContain('set DATABASE_URL');

      const restore = await cli(['restore', '--from', archive], { DATABASE_URL: target.url });
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout).toContain(`activities ${activities.length},`);
      const again = await cliHere(['restore', '--from', archive], { DATABASE_URL: target.url });
      expect(again.code).toBe(4);
      expect(again.stderr).toContain('already holds');

      const restored = await spawnGateway({ ...env, DATABASE_URL: target.url }, await freePort(), 60_000);
      cleanups.push(() => stopGracefully(restored));
      await expectServedAsBefore(restored, citizen, activities);
    }, 120_000);
  });
});
