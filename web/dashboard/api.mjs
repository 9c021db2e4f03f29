/* global URLSearchParams */
// The analytics API (see analytics/types.ts for the shapes) and staff sign-in (/common/request.mjs: the
// requests, their errors and the JSON content type the server's CSRF defence asks of unsafe methods).
import { auth, request } from '/common/request.mjs';

export { ApiError, onUnauthorized } from '/common/request.mjs';

const A = '/api/analytics';
const enc = encodeURIComponent;

/** `a=1&b=2` of the parameters that have a value. */
export function queryString(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  return query.toString();
}

export const api = {
  ...auth,
  dimensions: () => request('GET', `${A}/dimensions`),
  overview: (filters) => request('GET', `${A}/overview?${queryString(filters)}`),
  /** `params`: the filters, `metric` or `state`, `period`, `page`, `pageSize`. */
  drill: (kind, params) => request('GET', `${A}/drill/${enc(kind)}?${queryString(params)}`),
  reports: (kind, page, pageSize) => request('GET', `${A}/reports?${queryString({ kind, page, pageSize })}`),
  generateReport: (kind) => request('POST', `${A}/reports`, { kind }),
};

/** Where a stored report downloads in one of its formats. */
export const reportUrl = (id, format) => `${A}/reports/${enc(id)}/report.${enc(format)}`;

/** Roles that may see the analytics. The server decides. */
export const ANALYTICS_ROLES = ['supervisor', 'admin'];
export const hasRole = (session, roles) => (session?.roles ?? []).some((r) => roles.includes(r));
