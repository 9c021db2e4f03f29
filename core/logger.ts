import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskPii, maskPiiDeep } from './pii.js';

export type { Logger } from 'pino';

/**
 * Keys that only ever hold personal data. A collector may drop them entirely; we mask them here too.
 * PII anywhere else (message text, nested fields) is masked by pattern in the formatter below.
 */
const REDACT_PATHS = ['phone', '*.phone', 'idNumber', '*.idNumber', 'req.headers.authorization'];

export interface LoggerSettings {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ level, destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'minsheng' },
    redact: { paths: REDACT_PATHS, censor: '[masked]' },
    formatters: {
      log: (object) => maskPiiDeep(object) as Record<string, unknown>,
    },
    // Error messages and stacks quote whatever failed (a constraint's key, a citizen's text): mask them too.
    serializers: { err: (error: Error) => maskPiiDeep(pino.stdSerializers.err(error)) },
    hooks: {
      logMethod(args, method) {
        // `logger.error(error)` would take the unmasked error message as the line's message.
        const [first, ...rest] = args as unknown[];
        const normalized =
          first instanceof Error && typeof rest[0] !== 'string' ? [{ err: first }, first.message, ...rest] : args;
        const masked = normalized.map((a) => (typeof a === 'string' ? maskPii(a) : a)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
