/** Start-up as an operator meets it: the real `api/main.ts` process. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnGateway, stopGracefully, type GatewayProcess } from './support/process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('gateway start-up', () => {
  const running: GatewayProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const p of running) await stopGracefully(p);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it.each([
    ['PORT', 'http'],
    ['DATABASE_URL', 'mysql://localhost/minsheng'],
    ['MINSHENG_ROLE', 'everything'],
  ])('stops with exit code 78 and a message naming %s for a bad value', (variable, value) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', [variable]: value },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(`Invalid configuration: ${variable}:`);
  });

  it('refuses a PGlite data directory that another running gateway holds', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-lock-'));
    dirs.push(dataDir);
    running.push(await spawnGateway({ MINSHENG_DATA_DIR: dataDir }, await freePort()));
    const second = spawnGateway({ MINSHENG_DATA_DIR: dataDir }, await freePort());
    await expect(second).rejects.toThrow(/Data directory .* is in use by process \d+/);
  });
});
