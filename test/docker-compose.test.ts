/**
 * docker-compose.yml cannot run here (no Docker engine), so it is kept correct by reading: every
 * variable it gives the gateway is one the config knows, and `docker compose config` validates it where
 * the Docker client has the compose plugin.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../core/config.js';

const file = new URL('../docker-compose.yml', import.meta.url);
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; image?: string; build?: string }>;
};

const composePlugin = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('docker-compose.yml', () => {
  it('runs PostgreSQL with pgvector, Redis, an API instance and a worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis', 'worker']);
    expect(compose.services.postgres!.image).toMatch(/^pgvector\/pgvector:pg1[5-9]/);
    expect(compose.services.gateway!.environment!.MINSHENG_ROLE).toBe('api');
    expect(compose.services.worker!.environment!.MINSHENG_ROLE).toBe('worker');
  });

  it('gives the gateway only variables its config reads', () => {
    for (const name of ['gateway', 'worker']) {
      const env = compose.services[name]!.environment!;
      for (const variable of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(variable);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
    }
  });

  it('takes every secret from the environment, with no default', () => {
    const text = readFileSync(file, 'utf8');
    const secrets = [...text.matchAll(/^\s*([A-Z_]*(?:SECRET|PASSWORD|TOKEN|_KEY)[A-Z_]*):\s*(.+)$/gm)];
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const [, name, value] of secrets) expect(value, name).toMatch(/^\$\{[A-Z_]+:(\?.+|-)\}$/);
    expect(text).toContain('${POSTGRES_PASSWORD:?');
    expect(text).not.toMatch(/POSTGRES_PASSWORD:-[^}]/);
  });

  it.skipIf(!composePlugin)('passes docker compose config', () => {
    execFileSync('docker', ['compose', '-f', file.pathname, 'config', '--quiet'], {
      env: { ...process.env, MINSHENG_TOKEN_SECRET: 'x'.repeat(40), POSTGRES_PASSWORD: 'p'.repeat(20) },
    });
  });
});
