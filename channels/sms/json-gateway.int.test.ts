import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { gatewayHeaders } from './json-gateway.js';

/** SMS through the generic JSON gateway: signed webhooks in, bearer-authenticated sends out (faked by nock). */
const SECRET = 'json-gateway-secret-0123456789';
const BASE = 'https://sms-gateway.example.test';

describe('SMS (JSON gateway)', () => {
  let gw: TestGateway;
  const sent: { to: string; text: string; idempotency: string | null; auth: string | null }[] = [];

  onlyLocalNetwork();
  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        SMS_GATEWAY_URL: `${BASE}/v1`,
        SMS_GATEWAY_API_KEY: 'gw-key',
        SMS_GATEWAY_SECRET: SECRET,
        SMS_FROM: '106912345',
      },
    });
  });
  afterEach(() => {
    sent.length = 0;
  });
  afterAll(async () => gw?.cleanup());

  function gateway() {
    let id = 0;
    nock(BASE)
      .post('/v1/messages')
      .times(10)
      .reply(async (request: Request) => {
        const body = (await request.json()) as { to: string; text: string };
        sent.push({
          ...body,
          idempotency: request.headers.get('idempotency-key'),
          auth: request.headers.get('authorization'),
        });
        return [200, { id: `gw-${++id}-${body.to}` }];
      });
  }

  async function post(
    path: string,
    body: unknown,
    options: { secret?: string; timestamp?: number; raw?: string } = {},
  ) {
    const raw = options.raw ?? JSON.stringify(body);
    return fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: gatewayHeaders(options.secret ?? SECRET, raw, options.timestamp),
      body: raw,
    });
  }

  it('answers a signed message through the gateway, with the reply id as the idempotency key', async () => {
    gateway();
    const response = await post('/sms/gateway', {
      from: '13900007777',
      to: '106912345',
      text: '我在这边租房住，公积金能不能取出来交房租',
      messageId: 'gw-in-1',
    });
    expect(response.status).toBe(200);
    await eventually(async () => (sent.length >= 2 ? true : undefined));
    expect(sent[0]).toMatchObject({ to: '13900007777', auth: 'Bearer gw-key' });
    expect(sent.map((s) => s.text).join('\n')).toContain('公积金');
    expect(sent.every((s) => s.idempotency?.includes('|'))).toBe(true);

    // Reports come for sent messages: wait until the send is recorded with the gateway's id.
    await eventually(async () => {
      const row = await gw.database.db
        .selectFrom('activities')
        .select('delivery_status')
        .where('provider_message_id', '=', 'gw-1-13900007777')
        .executeTakeFirst();
      return row?.delivery_status === 'sent' ? true : undefined;
    });
    const delivered = await post('/sms/gateway/status', { messageId: 'gw-1-13900007777', status: 'delivered' });
    expect(delivered.status).toBe(204);
    const row = await gw.database.db
      .selectFrom('activities')
      .select('delivery_status')
      .where('provider_message_id', '=', 'gw-1-13900007777')
      .executeTakeFirst();
    expect(row).toEqual({ delivery_status: 'delivered' });
  });

  it('refuses a wrong signature, a stale timestamp and malformed JSON', async () => {
    const message = { from: '13900008888', text: '你好', messageId: 'gw-in-2' };
    expect((await post('/sms/gateway', message, { secret: 'another-secret-0123456789' })).status).toBe(403);
    expect((await post('/sms/gateway', message, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(403);
    expect((await post('/sms/gateway', undefined, { raw: '{"from": "139' })).status).toBe(400);
  });

  it('confirms an opt-out in its response', async () => {
    const response = await post('/sms/gateway', { from: '13900009999', text: '退订', messageId: 'gw-in-3' });
    expect(await response.json()).toMatchObject({ ok: true, reply: expect.stringContaining('退订') });
  });
});
