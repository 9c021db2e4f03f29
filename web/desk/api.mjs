/* global fetch */
// The desk API (see the contract) and staff sign-in. Errors arrive as `{ error: { code, message } }`;
// they become ApiError with the HTTP status, code and server message.

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

const D = '/api/desk';
const enc = encodeURIComponent;
const handoff = (id, action, body) => request('POST', `${D}/handoffs/${enc(id)}/${action}`, body);

export const api = {
  me: () => request('GET', '/api/auth/me', undefined, { signIn: true }),
  login: (username, password) => request('POST', '/api/auth/login', { username, password }, { signIn: true }),
  logout: () => request('POST', '/api/auth/logout', undefined, { signIn: true }),

  deskMe: () => request('GET', `${D}/me`),
  setPresence: (presence) => request('PUT', `${D}/presence`, { presence }),
  handoffs: (view) => request('GET', `${D}/handoffs?view=${enc(view)}`),
  card: (id) => request('GET', `${D}/handoffs/${enc(id)}`),
  accept: (id) => handoff(id, 'accept'),
  decline: (id) => handoff(id, 'decline'),
  send: (id, text) => handoff(id, 'messages', { text }),
  typing: (id) => handoff(id, 'typing'),
  transfer: (id, target) => handoff(id, 'transfer', target),
  consult: (id, agent) => handoff(id, 'consult', { agent }),
  consultComplete: (id) => handoff(id, 'consult/complete'),
  consultCancel: (id) => handoff(id, 'consult/cancel'),
  note: (id, text) => handoff(id, 'notes', { text }),
  invite: (id, department) => handoff(id, 'invites', { department }),
  conference: (id, department, agentPhone) => handoff(id, 'conference', { department, agentPhone }),
  handBack: (id) => handoff(id, 'hand-back'),
  close: (id, disposition, note) => handoff(id, 'close', note ? { disposition, note } : { disposition }),
  registerTicket: (id, ticket) => handoff(id, 'ticket', ticket),
  dispatch: (number) => request('POST', `${D}/tickets/${enc(number)}/dispatch`),
  knowledge: (q) => request('GET', `${D}/knowledge?q=${enc(q)}`),
  queues: () => request('GET', `${D}/queues`),
  agents: () => request('GET', `${D}/agents`),
  supervisor: () => request('GET', `${D}/supervisor`),
};

/** Roles that may use the desk, and those that also see the supervisor view. The server decides. */
export const DESK_ROLES = ['agent', 'supervisor', 'admin'];
export const SUPERVISOR_ROLES = ['supervisor', 'admin'];
export const hasRole = (session, roles) => (session?.roles ?? []).some((r) => roles.includes(r));
