import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { AppError } from '../core/errors.js';

/**
 * Checks a Twilio webhook's `X-Twilio-Signature` with the `twilio` package's own code, over the URL
 * Twilio called: the gateway's public origin when it is behind a proxy, else the request's own. Returns
 * the form fields. Shared by the SMS and voice webhooks, which are signed the same way.
 */
export function verifiedTwilioForm(
  request: FastifyRequest,
  authToken: string,
  publicUrl: string | undefined,
): Record<string, string> {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string') throw new AppError('E_FORBIDDEN', 'Missing X-Twilio-Signature');
  const origin = publicUrl ?? `${request.protocol}://${request.host}`;
  const params = (request.body ?? {}) as Record<string, string>;
  if (!twilio.validateRequest(authToken, signature, origin + request.url, params)) {
    throw new AppError('E_FORBIDDEN', 'Invalid X-Twilio-Signature');
  }
  return params;
}
