import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { DEFAULT_EMERGENCY_NUMBERS, TelephonyError, type CallRef } from './telephony.js';
import { TwilioTelephony, type TwilioTelephonySettings } from './twilio-telephony.js';
import { signControlRequest, WebhookTelephony } from './webhook-telephony.js';

/**
 * Call control against the providers' HTTP APIs, faked by nock: Twilio's REST API (paths, Basic auth, form
 * fields, TwiML as Twilio would read it) and the signed webhook a city's own switch implements.
 */
const ACCOUNT = `AC${'a'.repeat(32)}`;
const AUTH_TOKEN = 'voice-test-auth-token-0123456789';
const TWILIO = 'https://twilio.example.test';
const API = `/2010-04-01/Accounts/${ACCOUNT}`;
const CALLER_SID = `CA${'c'.repeat(32)}`;
const CONFERENCE_SID = `CF${'f'.repeat(32)}`;
const TARGET_SID = `CA${'7'.repeat(32)}`;
const AGENT_SID = `CA${'8'.repeat(32)}`;
const HOTLINE = '+8675512345';
const call: CallRef = { callId: CALLER_SID, conversationId: 'conv-42', caller: '+8613800138000' };

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  authorization: string | null;
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });
/** The TwiML a call was updated with, parsed as Twilio would read it. */
const twimlOf = (seen: Seen) => xml.parse(seen.form.get('Twiml') ?? '').Response;

describe('TwilioTelephony (Twilio REST API)', () => {
  const seen: Seen[] = [];
  onlyLocalNetwork();
  afterEach(() => {
    seen.length = 0;
  });

  const settings: TwilioTelephonySettings = {
    accountSid: ACCOUNT,
    authToken: AUTH_TOKEN,
    apiBaseUrl: TWILIO,
    callerId: HOTLINE,
    agentQueue: '12345-agents',
    emergencyNumbers: { ...DEFAULT_EMERGENCY_NUMBERS, '119': '+8675512119' },
    holdUrl: 'https://12345.example.gov.cn/voice/hold.mp3',
    timeoutMs: 300,
  };
  const telephony = new TwilioTelephony(settings);

  /** The next request to `method path` is recorded and answered with `status` and `body`. */
  function answer(method: 'GET' | 'POST' | 'DELETE', path: string, status: number, body?: object) {
    return nock(TWILIO)
      .intercept(`${API}${path}`, method)
      .query(true)
      .reply(async (request: Request) => {
        const url = new URL(request.url);
        seen.push({
          method: request.method,
          path: url.pathname.slice(API.length),
          query: url.searchParams,
          form: new URLSearchParams(await request.text()),
          authorization: request.headers.get('authorization'),
        });
        return [status, body ?? ''];
      });
  }
  const conferences = (...sids: string[]) =>
    answer('GET', '/Conferences.json', 200, {
      conferences: sids.map((sid) => ({ sid, friendly_name: 'minsheng-conv-42', status: 'in-progress' })),
      page: 0,
      page_size: 1,
      next_page_uri: null,
    });
  const participant = (callSid: string, label: string | null = null) => ({
    call_sid: callSid,
    conference_sid: CONFERENCE_SID,
    account_sid: ACCOUNT,
    label,
    hold: false,
  });
  const callUpdated = (status = 200, body: object = { sid: CALLER_SID, status: 'in-progress' }) =>
    answer('POST', `/Calls/${CALLER_SID}.json`, status, body);

  it('queues the caller for agents with <Enqueue>, authenticated with the account SID and auth token', async () => {
    callUpdated();
    await telephony.transferToAgents(call, { reason: '市民要求转人工' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: `/Calls/${CALLER_SID}.json` });
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(twimlOf(seen[0]!)).toEqual({ Enqueue: '12345-agents' });
  });

  it('queues an emergency in the emergency queue, which the agents take first', async () => {
    callUpdated();
    await telephony.transferToAgents(call, { priority: 'emergency' });
    expect(twimlOf(seen[0]!)).toEqual({ Enqueue: '12345-agents-emergency' });
  });

  it("starts a warm transfer: the caller enters the conversation's conference, is held, and the target is dialled", async () => {
    conferences(); // not in a conference yet
    callUpdated();
    conferences(CONFERENCE_SID); // the redirected caller has entered it
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`, 200, participant(CALLER_SID));
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 201, participant(TARGET_SID, 'warm-transfer'));

    expect(await telephony.startWarmTransfer(call, '+8675588880000')).toEqual({ legId: TARGET_SID });

    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /Conferences.json',
      `POST /Calls/${CALLER_SID}.json`,
      'GET /Conferences.json',
      `POST /Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`,
      `POST /Conferences/${CONFERENCE_SID}/Participants.json`,
    ]);
    expect(Object.fromEntries(seen[0]!.query)).toMatchObject({
      FriendlyName: 'minsheng-conv-42',
      Status: 'in-progress',
    });
    expect(twimlOf(seen[1]!)).toEqual({
      Dial: {
        Conference: {
          '#text': 'minsheng-conv-42',
          '@startConferenceOnEnter': 'true',
          '@endConferenceOnExit': 'true',
          '@beep': 'false',
          '@participantLabel': 'caller',
        },
      },
    });
    expect(Object.fromEntries(seen[3]!.form)).toEqual({ Hold: 'true', HoldUrl: settings.holdUrl });
    expect(Object.fromEntries(seen[4]!.form)).toEqual({
      From: HOTLINE,
      To: '+8675588880000',
      Label: 'warm-transfer',
      Beep: 'false',
      EarlyMedia: 'true',
      EndConferenceOnExit: 'false',
    });
  });

  it('completes a warm transfer: the caller comes off hold and the agent leg is removed (DELETE)', async () => {
    conferences(CONFERENCE_SID);
    answer('GET', `/Conferences/${CONFERENCE_SID}/Participants/${TARGET_SID}.json`, 200, participant(TARGET_SID));
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`, 200, participant(CALLER_SID));
    answer('DELETE', `/Conferences/${CONFERENCE_SID}/Participants/${AGENT_SID}.json`, 204);

    await telephony.completeWarmTransfer(call, { legId: TARGET_SID }, AGENT_SID);

    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /Conferences.json',
      `GET /Conferences/${CONFERENCE_SID}/Participants/${TARGET_SID}.json`,
      `POST /Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`,
      `DELETE /Conferences/${CONFERENCE_SID}/Participants/${AGENT_SID}.json`,
    ]);
    expect(Object.fromEntries(seen[2]!.form)).toEqual({ Hold: 'false' });
  });

  it('does not complete a warm transfer whose target has hung up, and removes nobody', async () => {
    conferences(CONFERENCE_SID);
    answer('GET', `/Conferences/${CONFERENCE_SID}/Participants/${TARGET_SID}.json`, 404, {
      code: 20404,
      message: 'The requested resource was not found',
      status: 404,
    });
    const error = await telephony.completeWarmTransfer(call, { legId: TARGET_SID }, AGENT_SID).catch((e) => e);
    expect(error).toBeInstanceOf(TelephonyError);
    expect(error).toMatchObject({ code: 'E_TELEPHONY', retryable: false, status: 404 });
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET']);
  });

  it('takes the caller off hold again when the target cannot be dialled', async () => {
    conferences(CONFERENCE_SID); // already in the conference with the agent: no redirect
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`, 200, participant(CALLER_SID));
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 400, {
      code: 21217,
      message: 'Phone number does not appear to be valid',
      status: 400,
    });
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants/${CALLER_SID}.json`, 200, participant(CALLER_SID));

    const error = await telephony.startWarmTransfer(call, '+86000').catch((e) => e);
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toContain('21217');
    expect(seen.map((s) => s.form.get('Hold'))).toEqual([null, 'true', null, 'false']);
  });

  it('dials the department and the agent into a three-party conference', async () => {
    conferences(CONFERENCE_SID);
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 201, participant(TARGET_SID, 'department'));
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 201, participant(AGENT_SID, 'agent'));

    const result = await telephony.conference(call, '+8675583330000', { agent: '+8675512345801' });

    expect(result).toEqual({ conference: CONFERENCE_SID, legIds: [TARGET_SID, AGENT_SID] });
    const dialled = seen.filter((s) => s.path.endsWith('/Participants.json')).map((s) => Object.fromEntries(s.form));
    expect(dialled).toEqual([
      expect.objectContaining({ From: HOTLINE, To: '+8675583330000', Label: 'department', Beep: 'false' }),
      expect.objectContaining({ From: HOTLINE, To: '+8675512345801', Label: 'agent', Beep: 'false' }),
    ]);
  });

  it("reports the dialled legs' progress and the conference's events to the status callback", async () => {
    const statusCallback = 'https://12345.example.gov.cn/voice/twilio/status';
    const reporting = new TwilioTelephony({ ...settings, statusCallbackUrl: statusCallback });
    conferences();
    callUpdated();
    conferences(CONFERENCE_SID);
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 201, participant(TARGET_SID, 'department'));
    await reporting.conference(call, '+8675583330000');

    expect(twimlOf(seen[1]!).Dial.Conference).toMatchObject({
      '@statusCallback': statusCallback,
      '@statusCallbackEvent': 'start end join leave hold',
    });
    expect(seen[3]!.form.get('StatusCallback')).toBe(statusCallback);
    expect(seen[3]!.form.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
  });

  it("bridges to the emergency service's configured number, showing the citizen's number", async () => {
    callUpdated();
    await telephony.bridgeEmergency(call, '119');
    expect(twimlOf(seen[0]!)).toEqual({ Dial: { '#text': '+8675512119', '@callerId': call.caller } });

    callUpdated();
    await telephony.bridgeEmergency({ ...call, caller: 'anonymous' }, '110');
    expect(twimlOf(seen[1]!)).toEqual({ Dial: { '#text': '110', '@callerId': HOTLINE } });
  });

  it('escapes hostile values in TwiML', async () => {
    const hostile = { ...call, conversationId: 'x"/><Play>https://evil.example/a.mp3</Play><Conference>&' };
    conferences();
    callUpdated();
    conferences(CONFERENCE_SID);
    answer('POST', `/Conferences/${CONFERENCE_SID}/Participants.json`, 201, participant(TARGET_SID));
    await telephony.conference(hostile, '+8675583330000');

    const twiml = seen[1]!.form.get('Twiml')!;
    expect(twiml).not.toContain('<Play>');
    expect(twimlOf(seen[1]!).Dial.Conference['#text']).toBe(`minsheng-${hostile.conversationId}`);
    expect(seen[0]!.query.get('FriendlyName')).toBe(`minsheng-${hostile.conversationId}`);

    const queued = new TwilioTelephony({ ...settings, agentQueue: 'q</Enqueue><Hangup/>' });
    callUpdated();
    await queued.transferToAgents(call);
    expect(twimlOf(seen[4]!)).toEqual({ Enqueue: 'q</Enqueue><Hangup/>' });
  });

  it('hangs up by completing the call', async () => {
    callUpdated(200, { sid: CALLER_SID, status: 'completed' });
    await telephony.hangUp(call);
    expect(Object.fromEntries(seen[0]!.form)).toEqual({ Status: 'completed' });
  });

  it('keeps a path prefix of the configured API origin', async () => {
    const behindProxy = new TwilioTelephony({ ...settings, apiBaseUrl: `${TWILIO}/twilio/` });
    const scope = nock(TWILIO).post(`/twilio${API}/Calls/${CALLER_SID}.json`).reply(200, { sid: CALLER_SID });
    await behindProxy.hangUp(call);
    expect(scope.isDone()).toBe(true);
  });

  it("classifies errors: a rejected request is final, a rate limit or Twilio's failure is retried", async () => {
    callUpdated(400, { code: 21220, message: 'Call is not in-progress. Cannot redirect.', status: 400 });
    const rejected = await telephony.transferToAgents(call).catch((e) => e);
    expect(rejected).toBeInstanceOf(TelephonyError);
    expect(rejected).toMatchObject({ code: 'E_TELEPHONY', retryable: false, status: 400 });
    expect(rejected.message).toContain('21220');
    expect(rejected.message).toContain('Cannot redirect');
    expect(rejected.message).not.toContain(AUTH_TOKEN);

    callUpdated(503, { code: 20500, message: 'Service unavailable', status: 503 });
    expect(await telephony.hangUp(call).catch((e) => e)).toMatchObject({ retryable: true, status: 503 });
    callUpdated(429, { code: 20429, message: 'Too Many Requests', status: 429 });
    expect(await telephony.hangUp(call).catch((e) => e)).toMatchObject({ retryable: true, status: 429 });
  });

  it('gives up on a request Twilio does not answer in time, as retryable', async () => {
    nock(TWILIO).post(`${API}/Calls/${CALLER_SID}.json`).delay(2000).reply(200, { sid: CALLER_SID });
    const started = Date.now();
    const error = await telephony.hangUp(call).catch((e) => e);
    expect(error).toBeInstanceOf(TelephonyError);
    expect(error).toMatchObject({ retryable: true, status: undefined });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('WebhookTelephony (a city switch)', () => {
  const SWITCH = 'https://switch.example.gov.cn';
  const SECRET = 'switch-shared-secret-0123456789';
  const settings = {
    url: `${SWITCH}/call-control`,
    secret: SECRET,
    timeoutMs: 300,
    emergencyNumbers: { ...DEFAULT_EMERGENCY_NUMBERS, '120': '+8675512120' },
  };
  const telephony = new WebhookTelephony(settings);
  const received: { body: Record<string, unknown>; raw: string; timestamp: string; signature: string }[] = [];
  onlyLocalNetwork();
  afterEach(() => {
    received.length = 0;
  });

  function switchAnswers(status: number, body?: object) {
    return nock(SWITCH)
      .post('/call-control')
      .reply(async (request: Request) => {
        const raw = await request.text();
        received.push({
          raw,
          body: JSON.parse(raw),
          timestamp: request.headers.get('x-minsheng-timestamp') ?? '',
          signature: request.headers.get('x-minsheng-signature') ?? '',
        });
        return [status, body ?? ''];
      });
  }

  it('signs each request over its timestamp and raw body, verifiably with signControlRequest', async () => {
    switchAnswers(204);
    await telephony.transferToAgents(call, { priority: 'emergency', reason: '燃气泄漏' });
    const [request] = received;
    expect(request!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(request!.signature).toBe(signControlRequest(SECRET, request!.timestamp, request!.raw));
    expect(request!.signature).not.toBe(
      signControlRequest('another-secret-0123456789', request!.timestamp, request!.raw),
    );
    expect(request!.signature).not.toBe(signControlRequest(SECRET, request!.timestamp, `${request!.raw} `));
    expect(Math.abs(Number(request!.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(request!.body).toEqual({
      action: 'transfer-to-agents',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      callId: CALLER_SID,
      conversationId: 'conv-42',
      priority: 'emergency',
      reason: '燃气泄漏',
    });
  });

  it("sends each action's fields and reads the switch's answer", async () => {
    switchAnswers(200, { legId: 'leg-target' });
    expect(await telephony.startWarmTransfer(call, '8801')).toEqual({ legId: 'leg-target' });
    switchAnswers(204);
    await telephony.completeWarmTransfer(call, { legId: 'leg-target' }, 'leg-agent');
    switchAnswers(200, { conference: 'conf-9', legIds: ['leg-dept', 'leg-agent-2'] });
    expect(await telephony.conference(call, '8833', { agent: '8802' })).toEqual({
      conference: 'conf-9',
      legIds: ['leg-dept', 'leg-agent-2'],
    });
    switchAnswers(204);
    await telephony.bridgeEmergency(call, '120');
    switchAnswers(200, {});
    await telephony.hangUp(call);

    const bodies = received.map(({ body }) => {
      const { requestId: _requestId, callId: _callId, conversationId: _conversationId, ...rest } = body;
      return rest;
    });
    expect(bodies).toEqual([
      { action: 'start-warm-transfer', target: '8801' },
      { action: 'complete-warm-transfer', legId: 'leg-target', agentLegId: 'leg-agent' },
      { action: 'conference', target: '8833', agent: '8802' },
      { action: 'bridge-emergency', service: '120', number: '+8675512120' },
      { action: 'hang-up' },
    ]);
    expect(new Set(received.map(({ body }) => body.requestId)).size).toBe(5);
  });

  it('refuses an answer without the leg it asked for', async () => {
    switchAnswers(200, { ok: true });
    const error = await telephony.startWarmTransfer(call, '8801').catch((e) => e);
    expect(error).toMatchObject({ code: 'E_TELEPHONY', retryable: false });
    expect(error.message).toContain('legId');
  });

  it('classifies errors: 4xx is final, 429 and 5xx are retried', async () => {
    switchAnswers(404, { error: 'unknown call' });
    const rejected = await telephony.hangUp(call).catch((e) => e);
    expect(rejected).toBeInstanceOf(TelephonyError);
    expect(rejected).toMatchObject({ retryable: false, status: 404 });
    expect(rejected.message).toContain('unknown call');

    switchAnswers(429);
    expect(await telephony.hangUp(call).catch((e) => e)).toMatchObject({ retryable: true, status: 429 });
    switchAnswers(502, { message: 'ESL connection lost' });
    const failed = await telephony.hangUp(call).catch((e) => e);
    expect(failed).toMatchObject({ retryable: true, status: 502 });
    expect(failed.message).toContain('ESL connection lost');
  });

  it('gives up on a switch that does not answer in time, as retryable', async () => {
    // nock's delay() does not hold back a fetch response: the switch itself takes its time.
    nock(SWITCH)
      .post('/call-control')
      .reply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return [204];
      });
    const started = Date.now();
    const error = await telephony.hangUp(call).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_TELEPHONY', retryable: true, status: undefined });
    expect(error.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
