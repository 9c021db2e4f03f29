// The desk API (see the contract) and staff sign-in (the requests and their errors are shared with the
// console: /common/request.mjs).
import { auth, request } from '/common/request.mjs';

export { ApiError, onUnauthorized } from '/common/request.mjs';

const D = '/api/desk';
const enc = encodeURIComponent;
const handoff = (id, action, body) => request('POST', `${D}/handoffs/${enc(id)}/${action}`, body);

export const api = {
  ...auth,

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
  invite: (id, department, privately = false) => handoff(id, 'invites', { department, private: privately }),
  conference: (id, department, agentPhone) => handoff(id, 'conference', { department, agentPhone }),
  /** A citizen's message becomes an eval case (the article that should answer it, or none). */
  evalCase: (conversationId, activityId, expect) =>
    request('POST', '/api/evals/cases', { conversationId, activityId, expect }),
  handBack: (id) => handoff(id, 'hand-back'),
  close: (id, disposition, note) => handoff(id, 'close', note ? { disposition, note } : { disposition }),
  registerTicket: (id, ticket) => handoff(id, 'ticket', ticket),
  dispatch: (number) => request('POST', `${D}/tickets/${enc(number)}/dispatch`),
  knowledge: (q) => request('GET', `${D}/knowledge?q=${enc(q)}`),
  queues: () => request('GET', `${D}/queues`),
  agents: () => request('GET', `${D}/agents`),
  supervisor: () => request('GET', `${D}/supervisor`),

  // Staff administration (admins; an agent's desk settings also supervisors) and one's own password.
  staff: () => request('GET', '/api/staff'),
  addStaff: (account) => request('POST', '/api/staff', account),
  updateStaff: (username, changes) => request('PATCH', `/api/staff/${enc(username)}`, changes),
  configureAgent: (username, settings) => request('PUT', `/api/staff/${enc(username)}/desk`, settings),
  changePassword: (current, password) => request('POST', '/api/auth/password', { current, password }),
};

/** Roles that may use the desk, and those that also see the supervisor view. The server decides. */
export const DESK_ROLES = ['agent', 'supervisor', 'admin'];
export const SUPERVISOR_ROLES = ['supervisor', 'admin'];
export const ADMIN_ROLES = ['admin'];
/** Every staff role, in the order the account forms list them. */
export const STAFF_ROLES = ['agent', 'editor', 'reviewer', 'supervisor', 'admin'];
export const hasRole = (session, roles) => (session?.roles ?? []).some((r) => roles.includes(r));
