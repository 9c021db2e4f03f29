/* global fetch, URLSearchParams */
// The knowledge API and staff sign-in, as the console uses them. Errors arrive as
// `{ error: { code, message } }`; they become ApiError with the HTTP status, code and server message.

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

async function request(method, path, body, { signIn = false } = {}) {
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  // The server refuses mutating requests without JSON: it is part of its CSRF defence.
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
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

const K = '/api/knowledge';
const enc = encodeURIComponent;

export const api = {
  me: () => request('GET', '/api/auth/me', undefined, { signIn: true }),
  login: (username, password) => request('POST', '/api/auth/login', { username, password }, { signIn: true }),
  logout: () => request('POST', '/api/auth/logout', undefined, { signIn: true }),

  categories: () => request('GET', `${K}/categories`),
  list(filter) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) if (value !== '' && value != null) query.set(key, value);
    return request('GET', `${K}/articles?${query}`);
  },
  get: (id) => request('GET', `${K}/articles/${enc(id)}`),
  create: (record) => request('POST', `${K}/articles`, record),
  saveDraft: (id, content, baseRevision) =>
    request('PUT', `${K}/articles/${enc(id)}/draft`, { ...content, baseRevision }),
  /** submit, approve, reject, withdraw or retire; the note is optional except for a rejection. */
  transition: (id, action, note) => request('POST', `${K}/articles/${enc(id)}/${action}`, note ? { note } : {}),
  revisions: (id) => request('GET', `${K}/articles/${enc(id)}/revisions`),
  diff: (id, from, to) => request('GET', `${K}/articles/${enc(id)}/diff?from=${from}&to=${to}`),
  audit: (id) => request('GET', `${K}/articles/${enc(id)}/audit?limit=200`),
  search: (q, region) => request('POST', `${K}/search`, { q, limit: 10, ...(region ? { region } : {}) }),
  synonyms: () => request('GET', `${K}/synonyms`),
  saveSynonyms: (groups) => request('PUT', `${K}/synonyms`, { groups }),
};

/** Who may do what: the server's table (knowledge/editorial.ts). Only hides buttons; the server decides. */
const ROLES = {
  edit: ['editor', 'reviewer', 'admin'],
  review: ['reviewer', 'admin'],
  retire: ['editor', 'reviewer', 'admin'],
};
export const may = (session, permission) => session.roles.some((r) => ROLES[permission].includes(r));
