/**
 * The handoff service through the desk API on a whole gateway (embedded PGlite): a web chat citizen asks
 * for a person, routing offers the conversation to the agent idle longest, the agent takes it, the relay
 * works both ways, transfers, invitations, hand-back and close; and who may see what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen, DeskClient, type SeenActivity } from '../test/support/desk-client.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff } from '../test/support/staff.js';

let gw: TestGateway;
let alice: DeskClient;
let bob: DeskClient;
let carol: DeskClient;
let boss: DeskClient;

beforeAll(async () => {
  gw = await startTestGateway({
    env: { HANDOFF_OFFER_TIMEOUT_SECONDS: '2', HANDOFF_OVERFLOW: 'departments:general:1' },
  });
  await createStaff(gw, 'alice', ['agent']);
  await createStaff(gw, 'bob', ['agent']);
  await createStaff(gw, 'carol', ['agent']);
  await createStaff(gw, 'boss', ['supervisor']);
  await createStaff(gw, 'ed', ['editor']);
  [alice, bob, carol, boss] = (await Promise.all(
    ['alice', 'bob', 'carol', 'boss'].map((name) => DeskClient.signIn(gw.url, name)),
  )) as [DeskClient, DeskClient, DeskClient, DeskClient];
  // Offers go to agents with a desk open.
  await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
});
afterAll(async () => {
  for (const desk of [alice, bob, carol, boss]) desk?.close();
  await gw?.cleanup();
});

const texts = (activities: SeenActivity[]) => activities.map((a) => a.text ?? '');

/** A citizen who asked for a person, and the handoff the desk lists for them. */
async function citizenAskingForPerson() {
  const citizen = await Citizen.open(gw.url);
  await citizen.say('我想咨询一下公积金提取');
  await citizen.say('转人工');
  const handoff = await eventually(async () => {
    const open = await gw.handoffs.store.openOf(citizen.conversationId);
    return open ?? undefined;
  });
  return { citizen, handoff };
}

describe('handoff and the agent desk', () => {
  it('queues a handoff with its place in line when nobody is available', async () => {
    const { citizen, handoff } = await citizenAskingForPerson();
    expect(handoff.status).toBe('waiting');
    const said = await eventually(async () => {
      const all = texts(await citizen.activities());
      return all.some((t) => t.includes('前面还有0位')) ? all : undefined;
    });
    expect(said.join('\n')).toContain('登记');
    const queue = await alice.ok('GET', '/handoffs?view=queue');
    expect(queue.items.map((h: { id: string }) => h.id)).toContain(handoff.id);
    // The citizen leaves a ticket instead: nobody is waiting any more.
    await gw.handoffs.ticketRegistered(citizen.conversationId, '12345-20261204-000001');
    expect((await gw.handoffs.store.get(handoff.id))?.status).toBe('closed');
    await gw.handoffs.sweep();
    expect(await gw.handoffs.store.openOf(citizen.conversationId)).toBeUndefined();
  });

  it('offers to the agent idle longest, relays both ways, and hands back to the bot', async () => {
    await bob.ok('PUT', '/presence', { presence: 'available' });
    await alice.ok('PUT', '/presence', { presence: 'available' });
    const mark = alice.messages.length;
    const { citizen, handoff } = await citizenAskingForPerson();
    // Bob came back first: he has been idle longest.
    const offer = await bob.next((m) => m.type === 'offer');
    expect((offer.handoff as { id: string }).id).toBe(handoff.id);
    expect(alice.messages.slice(mark).some((m) => m.type === 'offer')).toBe(false);

    // Alice cannot take what is offered to Bob, nor read it, nor follow it on her stream.
    expect((await alice.call('POST', `/handoffs/${handoff.id}/accept`, {})).status).toBe(409);
    expect((await alice.call('GET', `/handoffs/${handoff.id}`)).status).toBe(403);
    alice.send({ type: 'watch', conversationId: citizen.conversationId, after: 0 });
    await alice.next(
      (m) => m.type === 'error' && m.code === 'E_FORBIDDEN' && m.conversationId === citizen.conversationId,
    );
    await bob.ok('POST', `/handoffs/${handoff.id}/accept`, {});

    const card = await bob.ok('GET', `/handoffs/${handoff.id}`);
    expect(card.readOnly).toBe(false);
    // A supervisor reads along, and cannot write in Bob's name.
    expect((await boss.ok('GET', `/handoffs/${handoff.id}`)).readOnly).toBe(true);
    expect((await boss.call('POST', `/handoffs/${handoff.id}/messages`, { text: '插话' })).status).toBe(403);
    expect(texts(card.transcript)).toContain('转人工');
    expect(card.hits.length).toBeGreaterThan(0);
    expect(card.hits[0].score).toBeTypeOf('number');

    bob.send({ type: 'watch', conversationId: citizen.conversationId, after: 0 });
    await bob.activity(citizen.conversationId, '转人工');
    await bob.ok('POST', `/handoffs/${handoff.id}/messages`, { text: '您好，我是坐席小王，请讲。' });
    // A NUL pasted into the composer (PostgreSQL text cannot hold one) is replaced, not a 500.
    await bob.ok('POST', `/handoffs/${handoff.id}/messages`, { text: '请稍等\u0000' });
    await citizen.say('我的公积金账户被冻结了');
    await bob.activity(citizen.conversationId, '我的公积金账户被冻结了');
    await citizen.say('', 'typing');
    await bob.next((m) => m.type === 'typing' && m.conversationId === citizen.conversationId);
    const seen = await eventually(async () => {
      const all = await citizen.activities();
      return all.some((a) => a.text === '您好，我是坐席小王，请讲。') ? all : undefined;
    });
    expect(seen.find((a) => a.text === '您好，我是坐席小王，请讲。')?.from).toMatchObject({
      role: 'agent',
      name: 'bob',
    });
    // The bot stays silent while Bob has the conversation.
    const afterAgent = seen.slice(seen.findIndex((a) => a.text === '我的公积金账户被冻结了') + 1);
    expect(afterAgent.filter((a) => a.from.role === 'bot')).toEqual([]);

    await bob.ok('POST', `/handoffs/${handoff.id}/hand-back`, {});
    await eventually(
      async () => texts(await citizen.activities()).some((t) => t.includes('请您对本次服务进行评价')) || undefined,
    );
    await citizen.say('1');
    await eventually(
      async () => texts(await citizen.activities()).some((t) => t.includes('感谢您的评价')) || undefined,
    );
    expect((await gw.broker.stateOf(citizen.conversationId))?.satisfaction).toBe(1);
  });

  it('gives a declined offer to the next agent, and a lapsed one too', async () => {
    const { handoff } = await citizenAskingForPerson();
    const first = await eventually(async () => (await gw.handoffs.store.get(handoff.id))?.agent?.username);
    const [declining, other] = first === 'alice' ? [alice, bob] : [bob, alice];
    await declining.ok('POST', `/handoffs/${handoff.id}/decline`, {});
    const second = await eventually(async () => {
      const h = await gw.handoffs.store.get(handoff.id);
      return h?.status === 'offered' ? h.agent?.username : undefined;
    });
    expect(second).not.toBe(first);
    // Nobody answers the second offer: after the time-out it is no longer with that agent.
    await eventually(
      async () => ((await gw.handoffs.store.get(handoff.id))?.agent?.username !== second ? true : undefined),
      15_000,
    );
    await other.call('POST', `/handoffs/${handoff.id}/decline`, {});
    await boss.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'invalid' });
  });

  it('transfers cold to an agent, consults warm, and invites a department by link', async () => {
    await alice.ok('PUT', '/presence', { presence: 'away' });
    const { citizen, handoff } = await citizenAskingForPerson();
    await eventually(async () =>
      (await gw.handoffs.store.get(handoff.id))?.agent?.username === 'bob' ? true : undefined,
    );
    await bob.ok('POST', `/handoffs/${handoff.id}/accept`, {});

    // Warm: Carol is consulted privately, then takes over.
    await carol.ok('PUT', '/presence', { presence: 'available' });
    await bob.ok('POST', `/handoffs/${handoff.id}/consult`, { agent: 'carol' });
    const carolCard = await carol.ok('GET', `/handoffs/${handoff.id}`);
    expect(carolCard.readOnly).toBe(true);
    expect((await carol.call('POST', `/handoffs/${handoff.id}/messages`, { text: '抢答' })).status).toBe(403);
    await carol.ok('POST', `/handoffs/${handoff.id}/notes`, { text: '这是住房公积金中心的业务' });
    await bob.ok('POST', `/handoffs/${handoff.id}/consult/complete`, {});
    expect((await gw.handoffs.store.get(handoff.id))?.agent?.username).toBe('carol');
    expect((await carol.ok('GET', `/handoffs/${handoff.id}`)).notes[0].text).toBe('这是住房公积金中心的业务');
    expect(texts(await citizen.activities())).toContain('人工坐席carol已为您接入，请问有什么可以帮您？');

    // Three-party: the department joins through the link, without an account.
    const invite = await carol.ok('POST', `/handoffs/${handoff.id}/invites`, { department: '市住房公积金管理中心' });
    const token = invite.url.split('/').pop();
    const joined = await fetch(`${gw.url}/api/join/${token}`);
    expect(joined.status).toBe(200);
    expect(((await joined.json()) as { department: string }).department).toBe('市住房公积金管理中心');
    const post = await fetch(`${gw.url}/api/join/${token}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '您的账户已解冻', name: '李工' }),
    });
    expect(post.status).toBe(200);
    const fromDepartment = await eventually(async () =>
      (await citizen.activities()).find((a) => a.text === '您的账户已解冻'),
    );
    expect(fromDepartment.from.name).toBe('市住房公积金管理中心 · 李工');

    // Cold: Carol sends it to the complaints queue; closing ends the invitation.
    await carol.ok('POST', `/handoffs/${handoff.id}/transfer`, { queue: 'complaints' });
    expect((await gw.handoffs.store.get(handoff.id))?.queue).toBe('complaints');
    await boss.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'resolved' });
    expect((await fetch(`${gw.url}/api/join/${token}`)).status).toBe(410);
  });

  it('consults a department privately: it reads along and advises the agent, the citizen sees none of it', async () => {
    await alice.ok('PUT', '/presence', { presence: 'away' });
    const { citizen, handoff } = await citizenAskingForPerson();
    await eventually(async () => ((await gw.handoffs.store.get(handoff.id))?.status === 'offered' ? true : undefined));
    const owner = (await gw.handoffs.store.get(handoff.id))!.agent!.username === 'bob' ? bob : carol;
    await owner.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    const invite = await owner.ok('POST', `/handoffs/${handoff.id}/invites`, {
      department: '市住房公积金管理中心',
      private: true,
    });
    const token = invite.url.split('/').pop();
    const page = (await (await fetch(`${gw.url}/api/join/${token}`)).json()) as {
      private: boolean;
      transcript: unknown[];
    };
    expect(page.private).toBe(true);
    expect(page.transcript.length).toBeGreaterThan(0);
    const advice = await fetch(`${gw.url}/api/join/${token}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '冻结是因为贷款逾期，请让市民先还清欠款', name: '王科长' }),
    });
    expect(((await advice.json()) as { note: { author: string } }).note.author).toBe('市住房公积金管理中心 · 王科长');
    const card = await owner.ok('GET', `/handoffs/${handoff.id}`);
    expect(card.notes.map((n: { text: string }) => n.text)).toContain('冻结是因为贷款逾期，请让市民先还清欠款');
    const seen = texts(await citizen.activities()).join('\n');
    expect(seen).not.toContain('贷款逾期');
    expect(seen).not.toContain('已加入本次会话');
    await owner.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'resolved' });
  });

  it('registers and dispatches a ticket from the desk', async () => {
    await alice.ok('PUT', '/presence', { presence: 'away' });
    const { handoff } = await citizenAskingForPerson();
    await eventually(async () => ((await gw.handoffs.store.get(handoff.id))?.status === 'offered' ? true : undefined));
    const owner = (await gw.handoffs.store.get(handoff.id))!.agent!.username === 'bob' ? bob : carol;
    await owner.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    const ticket = await owner.ok('POST', `/handoffs/${handoff.id}/ticket`, {
      demandType: 'help',
      categoryCode: null,
      description: '公积金账户被冻结，无法提取',
      name: '张三',
      phone: '13912345678',
      district: '城关区',
      address: null,
    });
    expect(ticket.number).toMatch(/^12345-\d{8}-\d{6}$/);
    const dispatched = await owner.ok('POST', `/tickets/${ticket.number}/dispatch`, {});
    expect(dispatched.status).toBe('dispatched');
    const card = await owner.ok('GET', `/handoffs/${handoff.id}`);
    expect(card.tickets.map((t: { number: string }) => t.number)).toContain(ticket.number);
    await owner.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'ticket' });
  });

  it('returns an agent’s conversations to the queue when they go away, and overflows a queue past its wait limit', async () => {
    await Promise.all([bob, carol].map((desk) => desk.ok('PUT', '/presence', { presence: 'away' })));
    await alice.ok('PUT', '/presence', { presence: 'available' });
    const { citizen, handoff } = await citizenAskingForPerson();
    await eventually(async () =>
      (await gw.handoffs.store.get(handoff.id))?.agent?.username === 'alice' ? true : undefined,
    );
    await alice.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    await bob.ok('PUT', '/presence', { presence: 'available' });
    await alice.ok('PUT', '/presence', { presence: 'away' });
    await eventually(async () =>
      (await gw.handoffs.store.get(handoff.id))?.agent?.username === 'bob' ? true : undefined,
    );
    expect(texts(await citizen.activities())).toContain('正在为您转接其他坐席，请稍候，您的对话记录会一并转交。');

    // Nobody serves the departments queue: after its wait limit the handoff moves on to general.
    await bob.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    await bob.ok('POST', `/handoffs/${handoff.id}/transfer`, { queue: 'departments' });
    expect((await gw.handoffs.store.get(handoff.id))?.queue).toBe('departments');
    const moved = await eventually(async () => {
      const h = await gw.handoffs.store.get(handoff.id);
      return h?.queue === 'general' && h.status === 'offered' ? h : undefined;
    });
    expect(moved.agent?.username).toBe('bob');
    await boss.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'resolved' });
  });

  it('offers only to agents with a desk open', async () => {
    await Promise.all([alice, bob, carol].map((desk) => desk.ok('PUT', '/presence', { presence: 'away' })));
    await createStaff(gw, 'dan', ['agent']);
    const dan = await DeskClient.signIn(gw.url, 'dan');
    await dan.ok('PUT', '/presence', { presence: 'available' });
    const { handoff } = await citizenAskingForPerson();
    await gw.handoffs.route();
    expect((await gw.handoffs.store.get(handoff.id))?.status).toBe('waiting');
    const overview = await boss.ok('GET', '/supervisor');
    expect(overview.agents.find((a: { username: string }) => a.username === 'dan')).toMatchObject({ connected: false });
    // Opening the desk is enough: the waiting conversation is offered at once.
    await dan.connect();
    const offer = await dan.next((m) => m.type === 'offer');
    expect((offer.handoff as { id: string }).id).toBe(handoff.id);
    dan.close();
    await boss.ok('POST', `/handoffs/${handoff.id}/close`, { disposition: 'invalid' });
  });

  it('keeps the desk to staff with a desk role, and conversations to those they are routed to', async () => {
    const citizen = await Citizen.open(gw.url);
    const asCitizen = await fetch(`${gw.url}/api/desk/handoffs`, {
      headers: { authorization: `Bearer ${citizen.bearer}` },
    });
    expect(asCitizen.status).toBe(401);
    const editor = await DeskClient.signIn(gw.url, 'ed');
    expect((await editor.call('GET', '/handoffs')).status).toBe(403);
    expect((await carol.call('GET', '/supervisor')).status).toBe(403);
    const overview = await boss.ok('GET', '/supervisor');
    expect(overview.queues.map((q: { queue: string }) => q.queue)).toEqual(['general', 'complaints', 'departments']);
    // A cross-site form post is refused even with the cookie.
    const forged = await fetch(`${gw.url}/api/desk/presence`, {
      method: 'PUT',
      headers: { cookie: carol.cookie, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ presence: 'away' }),
    });
    expect(forged.status).toBe(403);
    const audited = await gw.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'handoff.%')
      .execute();
    for (const action of [
      'handoff.accept',
      'handoff.decline',
      'handoff.transfer',
      'handoff.consult',
      'handoff.invite',
      'handoff.close',
      'handoff.hand_back',
      'handoff.view',
    ])
      expect(audited.map((a) => a.action)).toContain(action);
  });
});
