/**
 * Staff administration over HTTP: administrators add and change accounts, supervisors set what an agent
 * serves, staff change their own password; and routing prefers the agent skilled in the category the bot
 * recognised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen, DeskClient } from '../test/support/desk-client.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff, signIn, STAFF_PASSWORD, type StaffClient } from '../test/support/staff.js';

let gw: TestGateway;
let admin: StaffClient;
let supervisor: StaffClient;

beforeAll(async () => {
  gw = await startTestGateway();
  await createStaff(gw, 'root', ['admin']);
  await createStaff(gw, 'lead', ['supervisor']);
  admin = await signIn(gw, 'root', '/api/staff');
  supervisor = await signIn(gw, 'lead', '/api/staff');
});
afterAll(() => gw?.cleanup());

describe('staff administration', () => {
  it('lets an administrator add agents, and nobody else', async () => {
    const created = await admin('POST', '/', {
      username: 'zhao',
      displayName: '赵坐席',
      password: STAFF_PASSWORD,
      roles: ['agent'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'zhao', roles: ['agent'], disabled: false });
    expect(Object.keys(created.body).filter((key) => /password/i.test(key))).toEqual([]);
    const weak = await admin('POST', '/', { username: 'qian', displayName: '钱', password: 'short', roles: ['agent'] });
    expect(weak.status).toBe(400);
    const twice = await admin('POST', '/', {
      username: 'zhao',
      displayName: '又一个',
      password: STAFF_PASSWORD,
      roles: ['agent'],
    });
    expect(twice.status).toBe(409);
    expect(
      (
        await supervisor('POST', '/', {
          username: 'sun',
          displayName: '孙',
          password: STAFF_PASSWORD,
          roles: ['admin'],
        })
      ).status,
    ).toBe(403);
    expect((await admin('GET', '/')).body.items.map((a: { username: string }) => a.username)).toContain('zhao');
  });

  it('lets a supervisor set an agent’s queues, skills and capacity; routing prefers the skilled agent', async () => {
    await createStaff(gw, 'generalist', ['agent']);
    const zhao = await (await DeskClient.signIn(gw.url, 'zhao')).connect();
    const generalist = await (await DeskClient.signIn(gw.url, 'generalist')).connect();
    // The generalist has been idle longest, but Zhao knows social security (category 05, as the taxonomy files it).
    await generalist.ok('PUT', '/presence', { presence: 'available' });
    await zhao.ok('PUT', '/presence', { presence: 'available' });
    const set = await supervisor('PUT', '/zhao/desk', { skills: ['category:05'], capacity: 5, queues: ['general'] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ skills: ['category:05'], capacity: 5 });
    expect((await supervisor('PUT', '/zhao/desk', { queues: ['nowhere'] })).status).toBe(400);
    const asAgent = await signIn(gw, 'zhao', '/api/staff');
    expect((await asAgent('PUT', '/generalist/desk', { capacity: 50 })).status).toBe(403);

    const citizen = await Citizen.open(gw.url);
    await citizen.say('社保卡丢了怎么补办');
    await citizen.say('转人工');
    const handoff = await eventually(async () => {
      const h = await gw.handoffs.store.openOf(citizen.conversationId);
      return h?.status === 'offered' ? h : undefined;
    });
    expect(handoff.context.category).toMatch(/^05\./);
    expect(handoff.agent?.username).toBe('zhao');
  });

  it('disables an account, which ends its sessions, and lets staff change their own password', async () => {
    await createStaff(gw, 'zhou', ['agent']);
    const zhou = await signIn(gw, 'zhou', '/api/auth');
    expect((await zhou('GET', '/me')).status).toBe(200);
    expect(
      (await zhou('POST', '/password', { current: 'wrong-password', password: 'another-long-password' })).status,
    ).toBe(403);
    expect(
      (await zhou('POST', '/password', { current: STAFF_PASSWORD, password: 'another-long-password' })).status,
    ).toBe(204);
    expect((await zhou('GET', '/me')).status).toBe(200);

    expect((await admin('PATCH', '/zhou', { disabled: true })).status).toBe(200);
    expect((await zhou('GET', '/me')).status).toBe(401);
    expect((await admin('PATCH', '/root', { disabled: true })).status).toBe(409);
    const audited = await gw.database.db.selectFrom('audit_log').select('action').execute();
    expect(audited.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'staff.account.create',
        'staff.account.update',
        'staff.password.change',
        'desk.agent.configure',
      ]),
    );
  });
});
