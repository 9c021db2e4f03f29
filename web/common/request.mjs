/* global fetch */
// JSON requests to the gateway, for the console, the desk and the join page, and the staff sign-in. Errors
// arrive as `{ error: { code, message } }`; they become ApiError with the HTTP status, code and server
// message (status 0 and code E_NETWORK when the server cannot be reached).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};
/** Called when a signed-in request answers 401: the session expired or was ended elsewhere. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** `signIn: true` marks the sign-in requests themselves, whose 401 is an answer rather than an expiry. */
export async function request(method, path, body, { signIn = false } = {}) {
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  // The server refuses mutating requests without JSON: it is part of its CSRF defence.
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'E_NETWORK', '');
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = new ApiError(
    response.status,
    data?.error?.code ?? 'E_HTTP',
    data?.error?.message ?? response.statusText,
  );
  if (response.status === 401 && !signIn) unauthorized(error);
  throw error;
}

/** The staff session: who is signed in, sign in, sign out. */
export const auth = {
  me: () => request('GET', '/api/auth/me', undefined, { signIn: true }),
  login: (username, password) => request('POST', '/api/auth/login', { username, password }, { signIn: true }),
  logout: () => request('POST', '/api/auth/logout', undefined, { signIn: true }),
};
