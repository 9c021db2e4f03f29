/* global URLSearchParams */
// The knowledge API as the console uses it, and staff sign-in (the requests and their errors are shared with
// the desk: /common/request.mjs).
import { auth, request } from '/common/request.mjs';

export { ApiError, onUnauthorized } from '/common/request.mjs';

const K = '/api/knowledge';
const enc = encodeURIComponent;

export const api = {
  ...auth,

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

const E = '/api/evals';
const runPath = (id) => `${E}/runs/${enc(id)}`;

/** The stored eval runs: the runs, one run, its failed cases, verdicts on them, a re-run of the failures. */
export const evalsApi = {
  runs: (limit, offset) => request('GET', `${E}/runs?limit=${limit}&offset=${offset}`),
  run: (id) => request('GET', runPath(id)),
  failures(id, { suite, limit, offset }) {
    const query = new URLSearchParams({ failed: 'true', limit: String(limit), offset: String(offset) });
    if (suite) query.set('suite', suite);
    return request('GET', `${runPath(id)}/cases?${query}`);
  },
  reportUrl: (id) => `${runPath(id)}/report`,
  verdict: (id, suite, caseId, verdict) => request('POST', `${runPath(id)}/cases/verdict`, { suite, caseId, verdict }),
  rerun: (id) => request('POST', `${runPath(id)}/rerun`, {}),
};

/** Who may do what: the server's table (knowledge/editorial.ts). Only hides buttons; the server decides. */
const ROLES = {
  edit: ['editor', 'reviewer', 'admin'],
  review: ['reviewer', 'admin'],
  retire: ['editor', 'reviewer', 'admin'],
};
export const may = (session, permission) => session.roles.some((r) => ROLES[permission].includes(r));
