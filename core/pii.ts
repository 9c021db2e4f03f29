/**
 * Masking of personal numbers in free text (log lines, error messages). Mainland mobile numbers keep
 * the first 3 and last 4 digits, resident ID numbers the first 4 and last 4 characters, landlines the
 * area code and last 2 digits: enough for an operator to tell records apart, not enough to call anyone.
 */

// 18-digit resident ID (GB 11643): 6-digit region, 8-digit birth date, 3-digit sequence, check digit.
const ID_NUMBER =
  /(?<![0-9A-Za-z])([1-9]\d{3})\d{2}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g;
// Mobile: optional +86 / 86 prefix, 1[3-9] and 9 more digits, optional separators after 3 and 7.
const MOBILE = /(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)/g;
// Landline: 0 + 2-3 digit area code, separator, 7-8 digits.
const LANDLINE = /(?<!\d)(0\d{2,3})[- ]?\d{5,6}(\d{2})(?!\d)/g;

export function maskPii(text: string): string {
  return text
    .replace(ID_NUMBER, (m, head: string) => `${head}${'*'.repeat(m.length - 8)}${m.slice(-4)}`)
    .replace(MOBILE, (_m, head: string, tail: string) => `${head}****${tail}`)
    .replace(LANDLINE, (_m, area: string, tail: string) => `${area}-******${tail}`);
}

/** Masks every string inside a plain value, to a bounded depth; other values pass through. */
export function maskPiiDeep(value: unknown, depth = 4): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskPiiDeep(v, depth - 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskPiiDeep(v, depth - 1);
  return out;
}
