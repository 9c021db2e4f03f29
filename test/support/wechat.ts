import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** WeChat's request signature: SHA-1 of the parts (token, timestamp, nonce, and the ciphertext), sorted. */
export const wechatSignature = (parts: string[]): string =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

/**
 * WeChat's safe mode as documented: AES-256-CBC with the 43-character EncodingAESKey, IV = key[0..16],
 * PKCS#7 to 32 bytes, over random 16 bytes + length + message + AppID.
 */
export function sealWechat(aesKey: string, appId: string, plain: Buffer | string): string {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const body = Buffer.from(plain);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const all = Buffer.concat([randomBytes(16), length, body, Buffer.from(appId)]);
  const pad = 32 - (all.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([all, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}

/** The reverse of `sealWechat`: what the gateway sealed in its answer, and for which AppID. */
export function unsealWechat(aesKey: string, encrypted: string): { xml: string; appId: string } {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const unpadded = plain.subarray(0, plain.length - plain[plain.length - 1]!);
  const length = unpadded.readUInt32BE(16);
  return { xml: unpadded.subarray(20, 20 + length).toString(), appId: unpadded.subarray(20 + length).toString() };
}
