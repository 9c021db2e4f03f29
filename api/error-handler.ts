import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode } from '../core/errors.js';

/** Fastify's own errors, mapped to the gateway's codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'E_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'E_MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'E_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'E_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'E_BAD_REQUEST',
};

function classify(error: FastifyError | AppError): { code: ErrorCode; message: string } {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return { code: mapped, message: error.message };
  if (error.validation) return { code: 'E_VALIDATION', message: error.message };
  // A JSON syntax error thrown by the body parser carries status 400 but no Fastify code.
  if (error instanceof SyntaxError && error.statusCode === 400)
    return { code: 'E_MALFORMED_JSON', message: error.message };
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
    return { code: 'E_BAD_REQUEST', message: error.message };
  return { code: 'E_INTERNAL', message: 'Internal error. It has been logged.' };
}

/** The one place errors become HTTP answers: `{ error: { code, message } }` with the code's status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const { code, message } = classify(error);
    const status = ERROR_STATUS[code];
    if (status >= 500 && code !== 'E_NOT_IMPLEMENTED') request.log.error({ err: error }, 'request failed');
    else request.log.info({ code, status }, message);
    // An AppError's details are meant for the caller (the regressions that blocked a publish, the roles needed).
    const details = error instanceof AppError ? error.details : undefined;
    return reply.code(status).send({ error: { code, message, ...(details ? { details } : {}) } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'E_NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
