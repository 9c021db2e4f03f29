/** The gateway's error codes, each with the HTTP status it maps to in the one error handler. */
export const ERROR_STATUS = {
  E_BAD_REQUEST: 400,
  E_MALFORMED_JSON: 400,
  E_VALIDATION: 400,
  E_UNAUTHORIZED: 401,
  E_BAD_SIGNATURE: 401,
  E_FORBIDDEN: 403,
  E_TOKEN_EXPIRED: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_GONE: 410,
  E_PAYLOAD_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_RATE_LIMITED: 429,
  E_INTERNAL: 500,
  E_NOT_IMPLEMENTED: 501,
  E_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
