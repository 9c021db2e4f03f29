/**
 * Three-party on a phone call from the desk: the caller the bot queued for agents is moved into the
 * conversation's conference and the department dialled in, through Twilio's REST API (faked by nock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTranscriber } from '../channels/voice/fake-transcriber.js';
import { DeskClient } from '../test/support/desk-client.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../test/support/nock.js';
import { createStaff } from '../test/support/staff.js';
import { TEST_TWILIO, TWILIO_VOICE_ENV } from '../test/support/twilio-media-client.js';

const TWILIO = 'https://twilio.example.test';
const API = `/2010-04-01/Accounts/${TEST_TWILIO.accountSid}`;
const CALL_SID = `CA${'d'.repeat(32)}`;
const CONFERENCE_SID = `CF${'e'.repeat(32)}`;
const DEPARTMENT = '+8657188880000';

describe('a department dialled into a phone call from the desk', () => {
  let gw: TestGateway;
  onlyLocalNetwork();

  beforeAll(async () => {
    gw = await startTestGateway({
      env: { ...TWILIO_VOICE_ENV, SMS_API_BASE_URL: TWILIO, WHISPER_MODEL: '/nonexistent/ggml-model.bin' },
      transcriber: new FakeTranscriber(),
    });
    await createStaff(gw, 'li', ['agent']);
  }, 60_000);
  afterAll(() => gw?.cleanup());

  it('moves the caller into the conference and dials the department', async () => {
    const desk = await (await DeskClient.signIn(gw.url, 'li')).connect();
    await desk.ok('PUT', '/presence', { presence: 'available' });
    // A call the bot answered and then queued for agents (as channels/voice does).
    const conversation = await gw.broker.startConversation({
      channelId: 'voice',
      user: { id: 'voice:+8613912345678', name: '' },
      welcome: false,
    });
    await gw.calls.open({
      id: `twilio:${CALL_SID}`,
      transport: 'twilio',
      caller: '+8613912345678',
      conversationId: conversation.id,
    });
    await gw.broker.receive(
      {
        type: 'message',
        channelId: 'voice',
        conversation: { id: conversation.id },
        from: { id: 'voice:+8613912345678', name: '', role: 'user' },
        text: '我要转人工',
      },
      { channelMessageId: null },
    );
    const handoff = await eventually(async () => {
      const h = await gw.handoffs.store.openOf(conversation.id);
      return h?.status === 'offered' ? h : undefined;
    });
    await desk.ok('POST', `/handoffs/${handoff.id}/accept`, {});

    const seen: string[] = [];
    const record = (path: string, status: number, body: object) =>
      nock(TWILIO)
        .intercept(`${API}${path}`, path.startsWith('/Conferences.json') ? 'GET' : 'POST')
        .query(true)
        .reply(async (request: Request) => {
          seen.push(`${request.method} ${new URL(request.url).pathname.slice(API.length)} ${await request.text()}`);
          return [status, body];
        });
    const list = (sids: string[]) => ({
      conferences: sids.map((sid) => ({ sid, friendly_name: `minsheng-${conversation.id}`, status: 'in-progress' })),
      page: 0,
      page_size: 1,
      next_page_uri: null,
    });
    const leg = { call_sid: `CA${'9'.repeat(32)}`, conference_sid: CONFERENCE_SID, label: 'department', hold: false };
    record('/Conferences.json', 200, list([]));
    record(`/Calls/${CALL_SID}.json`, 200, { sid: CALL_SID, status: 'in-progress' });
    record('/Conferences.json', 200, list([CONFERENCE_SID]));
    record(`/Conferences/${CONFERENCE_SID}/Participants.json`, 201, leg);

    const result = await desk.ok('POST', `/handoffs/${handoff.id}/conference`, { department: DEPARTMENT });
    expect(result).toEqual({ conference: CONFERENCE_SID, legIds: [leg.call_sid] });
    expect(seen[1]).toContain(encodeURIComponent(`minsheng-${conversation.id}`));
    expect(decodeURIComponent(seen[3]!)).toContain(`To=${DEPARTMENT}`);
    expect((await gw.calls.get(`twilio:${CALL_SID}`))?.outcome).toBe('conference');

    // A number that is not one is refused before anything is dialled.
    expect((await desk.call('POST', `/handoffs/${handoff.id}/conference`, { department: '110; drop' })).status).toBe(
      400,
    );
  });
});
