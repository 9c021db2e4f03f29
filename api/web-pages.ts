import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';

const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));
const require = createRequire(import.meta.url);
// botframework-webchat exports only its entry point (lib/index.js); the browser bundle is in dist/.
const WEBCHAT_PACKAGE = path.resolve(path.dirname(require.resolve('botframework-webchat')), '..');
const WEBCHAT_BUNDLE = path.join(WEBCHAT_PACKAGE, 'dist', 'webchat.js');
const WEBCHAT_VERSION = packageVersion(WEBCHAT_PACKAGE);
// The dashboard's charts: Apache ECharts' self-contained browser bundle (its package exports it).
const ECHARTS_BUNDLE = require.resolve('echarts/dist/echarts.min.js');
const ECHARTS_VERSION = packageVersion(path.resolve(path.dirname(ECHARTS_BUNDLE), '..'));

function packageVersion(packageDir: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The console shows staff-edited article text: a strict policy means that even text that slipped into the
 * DOM as markup could not run script, load from elsewhere or be framed.
 */
const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The dashboard's policy is the console's but for one relaxation: ECharts builds its tooltip with innerHTML
 * carrying `style="…"` attributes, which `style-src 'self'` refuses (the tooltip would show unstyled and
 * every hover would log a violation). Inline styles cannot run script; scripts stay 'self' only, and the
 * page writes data into the DOM as text, so this widens nothing a script injection could use.
 */
const DASHBOARD_SECURITY_HEADERS = {
  ...CONSOLE_SECURITY_HEADERS,
  'content-security-policy': CONSOLE_SECURITY_HEADERS['content-security-policy'].replace(
    "style-src 'self'",
    "style-src 'self' 'unsafe-inline'",
  ),
};

/**
 * The citizens' web chat page: the Web Chat bundle styles its components at run time (emotion inserts
 * `<style>` elements), so styles may be inline; scripts come only from this origin, and the Direct Line
 * stream is a WebSocket to it.
 */
const WEBCHAT_SECURITY_HEADERS = {
  ...CONSOLE_SECURITY_HEADERS,
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
};

/**
 * A staff or department page: static files under `/<name>/`, its index at `/<name>` (and at every path
 * `indexPaths` lists), every response with the strict headers (or `headers`). Files are routed one by one
 * (no wildcard), so an index path with a parameter (`/join/:token`) does not swallow them.
 */
const strictPage =
  (
    name: string,
    indexPaths: string[],
    headers: Record<string, string> = CONSOLE_SECURITY_HEADERS,
  ): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(headers);
    });
    // The root instance's @fastify/static (web chat) already decorated the reply.
    await app.register(fastifyStatic, {
      root: path.join(WEB_ROOT, name),
      prefix: `/${name}/`,
      index: false,
      wildcard: false,
      decorateReply: false,
    });
    if (indexPaths.length === 0) return;
    const indexHtml = await readFile(path.join(WEB_ROOT, name, 'index.html'));
    const sendIndex = (_: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    for (const url of indexPaths) app.get(url, { schema: { hide: true } }, sendIndex);
  };

/**
 * The citizen web chat page with the official Web Chat bundle, served from node_modules (no CDN), and the
 * staff pages.
 */
export const webPages: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, { root: path.join(WEB_ROOT, 'webchat'), prefix: '/webchat/', index: false });
  // The knowledge editors' console, the agent desk, and the page department staff join a conversation on.
  // Modules and styles the staff pages share.
  await app.register(strictPage('common', []));
  await app.register(strictPage('console', ['/console', '/console/']));
  await app.register(strictPage('desk', ['/desk', '/desk/']));
  await app.register(strictPage('join', ['/join/:token']));
  // The supervisors' analytics dashboard.
  await app.register(strictPage('dashboard', ['/dashboard', '/dashboard/'], DASHBOARD_SECURITY_HEADERS));

  const indexHtml = await readFile(path.join(WEB_ROOT, 'webchat', 'index.html'));
  const sendIndex = (_: unknown, reply: FastifyReply) =>
    reply
      .headers(WEBCHAT_SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(indexHtml);
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/webchat', { schema: { hide: true } }, sendIndex);

  // 3.8 MB of JavaScript.
  serveBundle(app, '/webchat/vendor/webchat.js', WEBCHAT_BUNDLE, `"webchat-${WEBCHAT_VERSION}"`, 86_400);
  // 1.1 MB; the page names it without a version, so its ETag revalidates it after a week.
  serveBundle(app, '/dashboard/vendor/echarts.min.js', ECHARTS_BUNDLE, `"echarts-${ECHARTS_VERSION}"`, 604_800);
};

/**
 * A vendor's JavaScript bundle from node_modules: compressed once, on first request, then served from memory,
 * cached by browsers for `maxAgeSeconds` and revalidated by `etag` (the package's version).
 */
function serveBundle(app: FastifyInstance, url: string, file: string, etag: string, maxAgeSeconds: number): void {
  let bundle: Promise<{ raw: Buffer; gzipped: Buffer }> | undefined;
  const loadBundle = async () => {
    const raw = await readFile(file);
    return { raw, gzipped: await promisify(gzip)(raw) };
  };
  app.get(url, { schema: { hide: true } }, async (request, reply) => {
    bundle ??= loadBundle();
    const { raw, gzipped } = await bundle;
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', `public, max-age=${maxAgeSeconds}`)
      .header('etag', etag);
    reply.header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? ''))
      return reply.header('content-encoding', 'gzip').send(gzipped);
    return reply.send(raw);
  });
}
