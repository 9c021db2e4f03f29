import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, eventually, type TestGateway } from '../../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { createStaff, signIn } from '../../test/support/staff.js';
import { DeskClient } from '../../test/support/desk-client.js';
import { smsSegments, smsText } from './twilio.js';

/**
 * The SMS channel through a whole gateway: requests signed with the `twilio` package's own code, the
 * provider's Messages API faked by nock (the one outbound call a test may fake), delivery through the
 * real queue and database.
 */
const AUTH_TOKEN = 'sms-test-auth-token-0123456789';
const ACCOUNT = 'ACtest0123456789';
const PUBLIC_URL = 'https://12345.example.gov.cn';
const PROVIDER = 'https://sms.example.test';
const MESSAGES = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;

interface Sent {
  To: string;
  From: string;
  Body: string;
  StatusCallback?: string;
  idempotency: string | null;
}

describe('SMS (Twilio-compatible)', () => {
  let gw: TestGateway;
  const sent: Sent[] = [];
  let nextSid = 0;

  onlyLocalNetwork();
  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        TWILIO_ACCOUNT_SID: ACCOUNT,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        SMS_FROM: '+8610612345',
        SMS_API_BASE_URL: PROVIDER,
        PUBLIC_URL,
        JOB_ATTEMPTS: '3',
      },
    });
  });
  afterEach(() => {
    sent.length = 0;
  });
  afterAll(async () => gw?.cleanup());

  /** The provider: records each message and answers with `status` (201 with a MessageSid by default). */
  function provider(...statuses: number[]) {
    const scope = nock(PROVIDER);
    const answers = statuses.length ? statuses : [201];
    for (const [i, status] of answers.entries()) {
      const interceptor = scope.post(MESSAGES);
      (i === answers.length - 1 ? interceptor.times(20) : interceptor).reply(async (request: Request) => {
        const form = Object.fromEntries(new URLSearchParams(await request.text())) as unknown as Sent;
        sent.push({ ...form, idempotency: request.headers.get('i-twilio-idempotency-token') });
        if (status !== 201)
          return [status, { code: status === 400 ? 21211 : 20500, message: `provider said ${status}` }];
        return [201, { sid: `SM${String(++nextSid).padStart(32, '0')}`, status: 'queued' }];
      });
    }
    return scope;
  }

  async function post(path: string, params: Record<string, string>, signature?: string) {
    return fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + path, params),
      },
      body: new URLSearchParams(params),
    });
  }

  const inbound = (from: string, body: string, sid: string) =>
    post('/sms/twilio', { From: from, To: '+8610612345', Body: body, MessageSid: sid, AccountSid: ACCOUNT });

  const deliveries = (conversationIdOrPhone: string) =>
    gw.database.db
      .selectFrom('activities')
      .select(['id', 'text', 'delivery_status', 'delivery_attempts', 'provider_message_id', 'delivery_error'])
      .where('direction', '=', 'outbound')
      .where('body', '@>', JSON.stringify({ recipient: { id: `sms:${conversationIdOrPhone}` } }) as never)
      .orderBy('seq')
      .execute();

  it('checks the signature the provider computed over the public URL', async () => {
    expect(
      twilio.validateRequest('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', 'https://mycompany.com/myapp.php?foo=1&bar=2', {
        CallSid: 'CA1234567890ABCDE',
        Caller: '+12349013030',
        Digits: '1234',
        From: '+12349013030',
        To: '+18005551212',
      }),
    ).toBe(true);
    const params = { From: '+8613900000001', Body: '你好', MessageSid: 'SMbad' };
    expect((await post('/sms/twilio', params, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    const forged = twilio.getExpectedTwilioSignature('wrong-token', `${PUBLIC_URL}/sms/twilio`, params);
    expect((await post('/sms/twilio', params, forged)).status).toBe(403);
    // Signed for another URL: a replay against this endpoint fails.
    const elsewhere = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/other`, params);
    expect((await post('/sms/twilio', params, elsewhere)).status).toBe(403);
    expect(
      await gw.database.db.selectFrom('activities').select('id').where('channel_message_id', '=', 'SMbad').execute(),
    ).toEqual([]);
  });

  it('answers a consultation by SMS in the short form, once per MessageSid, and records the delivery', async () => {
    provider();
    const phone = '+8613900001111';
    const response = await inbound(phone, '我在这边租房住，公积金能不能取出来交房租', 'SM-consult-1');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await response.text()).toContain('<Response></Response>');
    // The provider retries a webhook it thinks failed: the same MessageSid is stored and answered once.
    expect((await inbound(phone, '我在这边租房住，公积金能不能取出来交房租', 'SM-consult-1')).status).toBe(200);

    const rows = await eventually(async () => {
      const r = await deliveries(phone);
      return r.length >= 2 && r.every((d) => d.delivery_status === 'sent') ? r : undefined;
    });
    expect(rows).toHaveLength(2);
    expect(sent).toHaveLength(2);
    const answer = sent.find((s) => s.Body.includes('公积金'))!;
    expect(answer).toMatchObject({ To: phone, From: '+8610612345', StatusCallback: `${PUBLIC_URL}/sms/twilio/status` });
    expect(smsSegments(answer.Body)).toBeLessThanOrEqual(5);
    expect(sent.map((s) => s.idempotency).sort()).toEqual(rows.map((r) => r.id).sort());

    // The provider reports delivery on the signed status callback.
    const sid = rows[0]!.provider_message_id!;
    const callback = await post('/sms/twilio/status', { MessageSid: sid, MessageStatus: 'delivered', To: phone });
    expect(callback.status).toBe(204);
    expect((await deliveries(phone))[0]!.delivery_status).toBe('delivered');
  });

  it('keeps one conversation for a number, so a complaint can be filed over several messages', async () => {
    provider();
    const phone = '+8613900002222';
    await inbound(phone, '楼下烧烤店油烟太大了，每天晚上熏得家里全是烟味，地址是西城区杏林街9号，我叫李秀兰', 'SM-c-1');
    await eventually(async () => ((await deliveries(phone)).length >= 1 ? true : undefined));
    await inbound(phone, '电话就是这个13587654321', 'SM-c-2');
    await eventually(async () => (sent.some((s) => s.Body.includes('请核对')) ? true : undefined));
    await inbound(phone, '确认', 'SM-c-3');
    const registered = await eventually(async () => sent.find((s) => s.Body.includes('已为您登记工单')));
    const number = /12345-\d{8}-\d{6}/.exec(registered.Body)![0];
    expect(await gw.tickets.get(number)).toMatchObject({
      demandType: 'complaint',
      channelId: 'sms',
      district: '西城区',
      phone: '13587654321',
    });
    const conversations = await gw.database.db
      .selectFrom('activities')
      .select('conversation_id')
      .distinct()
      .where('channel_message_id', 'in', ['SM-c-1', 'SM-c-2', 'SM-c-3'])
      .execute();
    expect(conversations).toHaveLength(1);
  });

  it('shows a citizen, known by the SMS sender number, the open tickets registered with that phone anywhere', async () => {
    provider();
    // A complaint filed in web chat with a phone number…
    const phoneOnTicket = '13511112222';
    const web = await gw.broker.startConversation({ channelId: 'webchat', user: { id: 'web-citizen-1' } });
    const say = async (text: string, i: number) =>
      gw.broker.receive(
        {
          type: 'message',
          channelId: 'webchat',
          conversation: { id: web.id },
          from: { id: 'web-citizen-1', name: '', role: 'user' },
          text,
        },
        { channelMessageId: `web-${i}` },
      );
    await say(`东城区人民路12号楼下的下水道堵了，污水漫到路面上。我叫苏明，电话${phoneOnTicket}`, 1);
    await eventually(async () => {
      const page = await gw.broker.activitiesAfter(web.id, 0);
      return page.activities.some(
        (a) => (a.channelData as { intake?: { asked?: string } })?.intake?.asked === 'confirm',
      )
        ? true
        : undefined;
    });
    await say('确认', 2);
    const number = await eventually(async () => {
      const page = await gw.broker.activitiesAfter(web.id, 0);
      return page.activities
        .map((a) => (a.channelData as { ticket?: { number: string } } | undefined)?.ticket?.number)
        .find(Boolean);
    });

    // …is listed to an SMS from that number, and to nobody else.
    await inbound(`+86${phoneOnTicket}`, '帮我查一下工单进度', 'SM-own-1');
    const listed = await eventually(async () => sent.find((s) => s.To === `+86${phoneOnTicket}`));
    expect(listed.Body).toContain(number);
    await inbound('+8613999990000', '帮我查一下工单进度', 'SM-own-2');
    const other = await eventually(async () => sent.find((s) => s.To === '+8613999990000'));
    expect(other.Body).not.toContain(number);
    expect(other.Body).toContain('工单编号');
  });

  it('retries a provider error and succeeds; dead-letters a rejected message without retrying it', async () => {
    provider(500, 201);
    const retried = '+8613900003333';
    await inbound(retried, '你好，有个问题想问一下', 'SM-retry-1');
    const [row] = await eventually(
      async () => {
        const r = await deliveries(retried);
        return r[0]?.delivery_status === 'sent' ? r : undefined;
      },
      20_000,
      'the retried send',
    );
    expect(row!.delivery_attempts).toBe(2);
    expect(sent.filter((s) => s.To === retried)).toHaveLength(2);

    nock.cleanAll();
    provider(400);
    const rejected = '+8613900004444';
    await inbound(rejected, '你好，有个问题想问一下', 'SM-reject-1');
    const [dead] = await eventually(async () => {
      const r = await deliveries(rejected);
      return r[0]?.delivery_status === 'dead' ? r : undefined;
    });
    expect(dead).toMatchObject({ delivery_attempts: 1, delivery_error: expect.stringContaining('400') });
    const letters = await eventually(async () => {
      const rows = await gw.database.db
        .selectFrom('dead_letter_jobs')
        .selectAll()
        .where('queue', '=', 'channel-delivery')
        .execute();
      return rows.find((l) => JSON.stringify(l.data).includes(dead!.id));
    });
    expect(letters).toMatchObject({ attempts: 1 });
    // Long enough for a retry to have happened, had there been one.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(sent.filter((s) => s.To === rejected)).toHaveLength(1);
  });

  it('shows the undeliverable reply to supervisors, and only to them', async () => {
    await createStaff(gw, 'sms-supervisor', ['supervisor']);
    await createStaff(gw, 'sms-agent', ['agent']);
    const supervisor = await signIn(gw, 'sms-supervisor', '/api/operations');
    const page = await supervisor('GET', '/dead-letters?queue=channel-delivery&limit=10');
    expect(page.status).toBe(200);
    expect(page.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ queue: 'channel-delivery', attempts: 1, error: expect.stringContaining('400') }),
      ]),
    );
    const agent = await signIn(gw, 'sms-agent', '/api/operations');
    expect((await agent('GET', '/dead-letters')).status).toBe(403);
    expect((await fetch(`${gw.url}/api/operations/dead-letters`)).status).toBe(401);
  });

  it('honours 退订 until the citizen opts in again', async () => {
    provider();
    const phone = '+8613900005555';
    const optOut = await inbound(phone, '退订', 'SM-opt-1');
    expect(await optOut.text()).toContain('<Message>您已退订');
    await inbound(phone, '你好，有个问题想问一下', 'SM-opt-2');
    const [suppressed] = await eventually(async () => {
      const r = await deliveries(phone);
      return r[0]?.delivery_status === 'suppressed' ? r : undefined;
    });
    expect(suppressed).toBeDefined();
    expect(sent.filter((s) => s.To === phone)).toHaveLength(0);

    expect(await (await inbound(phone, '开通', 'SM-opt-3')).text()).toContain('重新开通');
    await inbound(phone, '谢谢', 'SM-opt-4');
    await eventually(async () => (sent.some((s) => s.To === phone) ? true : undefined));
  });

  it('sends a committed reply whose job was lost, when the sweep finds it', async () => {
    provider();
    const phone = '+8613900006666';
    await inbound(phone, '谢谢', 'SM-sweep-1');
    const [row] = await eventually(async () => {
      const r = await deliveries(phone);
      return r[0]?.delivery_status === 'sent' ? r : undefined;
    });
    // As if the process died after the commit and before queueing: the row is pending, no job exists.
    await gw.database.db
      .updateTable('activities')
      .set({ delivery_status: 'pending', provider_message_id: null })
      .where('id', '=', row!.id)
      .execute();
    sent.length = 0;
    expect(await gw.delivery.recoverPending(0)).toBeGreaterThanOrEqual(1);
    await eventually(async () => ((await deliveries(phone))[0]?.delivery_status === 'sent' ? true : undefined));
    expect(sent).toEqual([expect.objectContaining({ To: phone, idempotency: row!.id })]);
  });

  it("sends an agent's messages by SMS while the agent has the conversation, and the bot stays silent", async () => {
    provider();
    const phone = '+8613700001111';
    await createStaff(gw, 'sms-desk-agent', ['agent']);
    const desk = await (await DeskClient.signIn(gw.url, 'sms-desk-agent')).connect();
    await desk.ok('PUT', '/presence', { presence: 'available' });
    expect((await inbound(phone, '转人工', 'SM-handoff-1')).status).toBe(200);
    const offered = await eventually(async () => {
      const { items } = await desk.ok('GET', '/handoffs?view=mine');
      return items.find((h: { channelId: string }) => h.channelId === 'sms');
    });
    await desk.ok('POST', `/handoffs/${offered.id}/accept`, {});
    await desk.ok('POST', `/handoffs/${offered.id}/messages`, { text: '您好，我是人工坐席，请问有什么可以帮您？' });
    await eventually(() => (sent.some((m) => m.Body.includes('我是人工坐席')) ? true : undefined));
    expect(sent.find((m) => m.Body.includes('我是人工坐席'))).toMatchObject({ To: phone });

    sent.length = 0;
    expect((await inbound(phone, '我家门口的路灯坏了', 'SM-handoff-2')).status).toBe(200);
    const atDesk = await eventually(async () => {
      const card = await desk.ok('GET', `/handoffs/${offered.id}`);
      return card.transcript.some((a: { text?: string }) => a.text === '我家门口的路灯坏了') ? card : undefined;
    });
    expect(atDesk.handoff.status).toBe('active');
    await new Promise((r) => setTimeout(r, 500));
    expect(sent).toEqual([]);
    await desk.ok('POST', `/handoffs/${offered.id}/close`, { disposition: 'resolved' });
  });

  it('rejects a message without a sender number', async () => {
    expect((await post('/sms/twilio', { Body: '你好', MessageSid: 'SM-nofrom' })).status).toBe(400);
  });
});

describe('SMS text', () => {
  it('counts segments as a handset does', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('字'.repeat(70))).toBe(1);
    expect(smsSegments('字'.repeat(71))).toBe(2);
    expect(smsSegments('字'.repeat(134))).toBe(2);
  });

  it('cuts a long reply at a sentence end within five segments, and says where to learn more', () => {
    const sentence = '这是一句二十个字左右的答复内容，用来测试。';
    const long = sentence.repeat(30);
    const text = smsText(long);
    expect(smsSegments(text)).toBeLessThanOrEqual(5);
    expect(text.endsWith('。…详询12345')).toBe(true);
    expect(smsText('短答复。')).toBe('短答复。');
  });
});
