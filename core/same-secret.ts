import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a secret a caller sent (a signature, a token) equals the expected one, in a time that does not
 * tell where they differ. Different lengths are simply unequal (the length is no secret).
 */
export function sameSecret(given: string | Buffer, expected: string | Buffer): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
