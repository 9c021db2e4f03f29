/**
 * What every inbound route does before it stores a citizen's message: limit how often a client address
 * and a citizen may send, and make the text storable.
 *
 * Rate limits use @fastify/rate-limit's store (Redis when configured, so every instance counts together;
 * per-instance memory otherwise). Over a limit the answer is 429 with `Retry-After` and the usual
 * `E_RATE_LIMITED` body. The plugin's own route-level limit (`config.rateLimit`) runs at most once per
 * request, so the limits here are separate limiters that compose with it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

const WINDOW_MS = 60_000;

/** Checks one request against a limit under `key`; throws E_RATE_LIMITED (429, Retry-After) beyond it. */
export type KeyedLimit = (request: FastifyRequest, reply: FastifyReply, key: string) => Promise<void>;

/** A limit of `perMinute` requests per key. Create it once per plugin: each one counts on its own. */
export function keyedLimit(app: FastifyInstance, perMinute: number): KeyedLimit {
  const keys = new WeakMap<FastifyRequest, string>();
  const check = app.createRateLimit({
    max: perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => keys.get(request) ?? request.ip,
  });
  return async (request, reply, key) => {
    keys.set(request, key);
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return;
    reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
    throw new AppError(
      'E_RATE_LIMITED',
      `Too many requests: at most ${result.max} a minute. Please wait ${result.ttlInSeconds} s and try again.`,
    );
  };
}

/**
 * Limits every route of the plugin `app` to `perMinute` requests per client address (counted per `scope`,
 * one budget for each channel), before the body is read: a flood costs neither parsing nor storage.
 * Behind a proxy the address is the one it reports, when it is a trusted one (TRUST_PROXY).
 */
export function limitPerClientAddress(app: FastifyInstance, scope: string, perMinute: number): void {
  const limit = keyedLimit(app, perMinute);
  app.addHook('onRequest', async (request, reply) => limit(request, reply, `ip:${scope}:${request.ip}`));
}

// PostgreSQL's text and jsonb refuse NUL (U+0000) and jsonb refuses lone surrogates (`\ud800`), which a
// client can send in JSON escapes or a provider can pass through: such a message would fail to store (a
// 500, and a provider retrying it forever). They are never meaningful in a citizen's message.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as PostgreSQL can store it: NUL and lone surrogates become U+FFFD. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** Nesting a client's JSON (an activity's value, channelData, entities) may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * A JSON value from a client, storable: every string and key cleaned with `storableText`. Nesting deeper
 * than `maxDepth` is refused (E_VALIDATION): no real client sends it, and serialising it could overflow
 * the stack.
 */
export function storableJson(value: unknown, maxDepth = MAX_JSON_DEPTH, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) throw new AppError('E_VALIDATION', `JSON nested deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) return value.map((item) => storableJson(item, maxDepth, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a key named __proto__ stays a plain key, never the prototype.
    Object.defineProperty(result, storableText(key), {
      value: storableJson(item, maxDepth, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}
