/**
 * The official botframework-directlinejs client, unchanged, against the gateway: the protocol is real.
 * Node 20 has neither XMLHttpRequest nor a global WebSocket, so the browser APIs come from xhr2 and ws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import XMLHttpRequest from 'xhr2';
import { eventually, startTestGateway, TEST_DIRECTLINE_SECRET, type TestGateway } from './support/gateway.js';

Object.assign(globalThis, { XMLHttpRequest, WebSocket });
const { DirectLine, ConnectionStatus } = await import('botframework-directlinejs');
type DirectLineClient = InstanceType<typeof DirectLine>;

interface Received {
  id: string;
  type: string;
  text?: string;
  replyToId?: string;
  from: { id: string; role?: string };
  channelData?: { clientActivityID?: string };
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.cleanup());

function connect(webSocket: boolean, token: string, resume?: { conversationId: string; watermark: string }) {
  const client = new DirectLine({
    domain: `${gw.url}/v3/directline`,
    token,
    webSocket,
    pollingInterval: 200,
    ...(resume ?? {}),
  });
  const received: Received[] = [];
  // The client reports "conversation ended" when the test gateway shuts down under it; that is expected.
  client.activity$.subscribe({ next: (a) => received.push(a as unknown as Received), error: () => {} });
  return { client, received };
}

const sendMessage = (client: DirectLineClient, userId: string, text: string, clientActivityID: string) =>
  new Promise<string>((resolve, reject) =>
    client
      .postActivity({ type: 'message', from: { id: userId }, text, channelData: { clientActivityID } } as never)
      .subscribe({ next: resolve, error: reject }),
  );

const onlineOf = (client: DirectLineClient) =>
  new Promise<void>((resolve) => client.connectionStatus$.subscribe((s) => s === ConnectionStatus.Online && resolve()));

for (const webSocket of [true, false]) {
  describe(`botframework-directlinejs over ${webSocket ? 'WebSocket' : 'polling'}`, () => {
    it('gets the echo of its own activity, the bot reply, and resumes after the watermark without loss or duplicates', async () => {
      const gen = await fetch(`${gw.url}/v3/directline/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: 'dl_citizen' } }),
      });
      const { token, conversationId } = (await gen.json()) as { token: string; conversationId: string };

      const first = connect(webSocket, token);
      const id1 = await sendMessage(first.client, 'dl_citizen', '社保卡丢了怎么补办', 'client-1');
      await eventually(
        () => (first.received.some((a) => a.replyToId === id1 && a.from.role === 'bot') ? true : undefined),
        10_000,
        'bot reply',
      );
      const echo = first.received.find((a) => a.id === id1)!;
      expect(echo).toMatchObject({
        from: { id: 'dl_citizen', role: 'user' },
        channelData: { clientActivityID: 'client-1' },
      });
      expect(first.received[0]!.from.role).toBe('bot'); // the welcome message, replayed on connect
      // Let the reply set finish arriving, then note the watermark the client reached.
      await eventually(() => (first.received.filter((a) => a.replyToId === id1).length === 2 ? true : undefined));
      const watermark = String(first.received.length);
      first.client.end();

      // While disconnected the citizen's next message arrives (e.g. from another tab) and is answered.
      const offline = await fetch(`${gw.url}/v3/directline/conversations/${conversationId}/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          text: '医保异地备案怎么办',
          channelData: { clientActivityID: 'client-2' },
        }),
      });
      const { id: id2 } = (await offline.json()) as { id: string };

      const second = connect(webSocket, token, { conversationId, watermark });
      await onlineOf(second.client);
      const id3 = await sendMessage(second.client, 'dl_citizen', '孩子出生后怎么上户口', 'client-3');
      await eventually(
        () => (second.received.filter((a) => a.replyToId === id3).length === 2 ? true : undefined),
        10_000,
        'second reply',
      );
      second.client.end();

      // Everything the two sessions saw, together, is exactly the conversation: nothing twice, nothing missing.
      // (Order across frames is not compared: directlinejs emits each activity of a frame on its own
      // scheduler tick, so two frames that arrive together interleave on the client.)
      const seen = [...first.received, ...second.received].map((a) => a.id);
      expect(new Set(seen).size).toBe(seen.length);
      const server = await fetch(`${gw.url}/v3/directline/conversations/${conversationId}/activities`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const activities = (await server.json()) as { activities: Received[] };
      const all = activities.activities.map((a) => a.id);
      expect([...seen].sort()).toEqual(all);
      expect(second.received[0]!.id).toBe(id2);
      // The welcome, the three questions, and for each question its replies (one or two, as the assistant
      // decides): every question answered, every reply stored once.
      const questions = activities.activities.filter((a) => a.from.role !== 'bot');
      expect(questions).toHaveLength(3);
      for (const question of questions)
        expect(activities.activities.some((a) => a.replyToId === question.id)).toBe(true);
      expect(all.length).toBe(1 + 3 + activities.activities.filter((a) => a.replyToId).length);
    });
  });
}
