import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../core/calendar/working-days.js';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { DEFAULT_TICKET_POLICY, departmentView, TicketStore, type TicketDraft } from './ticket-store.js';

const engines = await testEngines();
const calendar = await WorkingCalendar.load();

const draft = (extra: Partial<TicketDraft> = {}): TicketDraft => ({
  demandType: 'complaint',
  categoryCode: '02.01.03',
  description: '楼下KTV每天半夜还在唱歌，吵得睡不着',
  name: '王先生',
  phone: '13912345678',
  idNumber: null,
  anonymous: false,
  district: '南湖区',
  address: '南湖区翠湖路28号',
  occurred: '每天半夜',
  organisation: null,
  channelId: 'webchat',
  conversationId: 'conv-1',
  ...extra,
});

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`tickets on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    // Friday 13 February 2026, 10:00 in the city: the day before the Spring Festival's make-up Saturday.
    let clock = new Date('2026-02-13T10:00:00+08:00');
    let store: TicketStore;

    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      store = new TicketStore(
        handle.db,
        calendar,
        (code) => (code === '02.01.03' ? '区生态环境分局' : undefined),
        DEFAULT_TICKET_POLICY,
        () => clock,
      );
    });
    afterAll(async () => handle?.cleanup());

    it('numbers tickets by the city day and dates the deadline in working days', async () => {
      const consultation = await store.register(draft({ demandType: 'consultation', categoryCode: null }), {
        actor: 'test',
      });
      expect(consultation.number).toBe('12345-20260213-000001');
      expect(consultation.status).toBe('registered');
      // One working day from Friday: Saturday 14 February is a make-up working day.
      expect(consultation.deadlineAt.toISOString()).toBe('2026-02-14T15:59:59.999Z');

      const complaint = await store.register(draft(), { actor: 'test' });
      expect(complaint.number).toBe('12345-20260213-000002');
      expect(complaint.department).toBe('区生态环境分局');
      // 15 working days: 14 Feb (make-up), then 24-27 Feb, 28 Feb (make-up), 2-6 Mar, 9-12 Mar.
      expect(complaint.deadlineAt.toISOString()).toBe('2026-03-12T15:59:59.999Z');
      expect(complaint.deadlineAt).toEqual(calendar.addWorkingDays(clock, 15));
    });

    it('registers once per source message, however often the turn runs', async () => {
      const first = await store.register(draft({ address: '北苑区长安街1号', district: '北苑区' }), {
        sourceActivityId: 'act-1',
        actor: 'assistant',
      });
      const again = await Promise.all([
        store.register(draft(), { sourceActivityId: 'act-1', actor: 'assistant' }),
        store.register(draft(), { sourceActivityId: 'act-1', actor: 'assistant' }),
      ]);
      expect(again.map((t) => t.number)).toEqual([first.number, first.number]);
      expect(await store.history(first.number)).toHaveLength(1);
    });

    it('links a repeat of an open case at the same place to the first ticket', async () => {
      const original = await store.register(draft({ address: '临江区滨江路9号', district: '临江区' }), {
        actor: 'test',
      });
      clock = new Date('2026-02-17T09:00:00+08:00');
      const repeat = await store.register(draft({ address: '临江区 滨江路 9 号', district: '临江区' }), {
        actor: 'test',
      });
      expect(repeat.number).toBe('12345-20260217-000001');
      expect(repeat.duplicateOf).toBe(original.number);
      const elsewhere = await store.register(draft({ address: '临江区滨江路11号', district: '临江区' }), {
        actor: 'test',
      });
      expect(elsewhere.duplicateOf).toBeNull();
      // Outside the window it is a new case.
      clock = new Date('2026-03-10T09:00:00+08:00');
      const later = await store.register(draft({ address: '临江区滨江路9号', district: '临江区' }), { actor: 'test' });
      expect(later.duplicateOf).toBeNull();
    });

    it('shows a ticket only to someone who knows its phone', async () => {
      const ticket = await store.register(draft({ address: '东城区和平路3号', district: '东城区' }), { actor: 'test' });
      expect(await store.lookup(ticket.number, '139-1234-5678')).toMatchObject({ number: ticket.number });
      expect(await store.lookup(ticket.number, '+86 139 1234 5678')).toMatchObject({ number: ticket.number });
      expect(await store.lookup(ticket.number, '13900000000')).toBeUndefined();
      expect(await store.lookup('12345-20990101-000001', '13912345678')).toBeUndefined();
      expect(await store.lookup('not-a-number', '13912345678')).toBeUndefined();
    });

    it('moves along the lifecycle with history, and refuses skipped steps', async () => {
      const { number } = await store.register(draft({ address: '高新区科技路5号', district: '高新区' }), {
        actor: 'test',
      });
      await expect(store.transition(number, 'closed', 'agent1')).resolves.toMatchObject({ status: 'closed' });
      await expect(store.transition(number, 'in_progress', 'agent1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
      const next = await store.register(draft({ address: '高新区科技路7号', district: '高新区' }), { actor: 'test' });
      for (const status of ['dispatched', 'in_progress', 'extension_requested', 'in_progress', 'resolved'] as const)
        await store.transition(next.number, status, 'dept1');
      await expect(store.transition(next.number, 'registered', 'dept1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await store.transition(next.number, 'callback', 'agent1', '市民满意');
      await store.transition(next.number, 'closed', 'agent1');
      const history = await store.history(next.number);
      expect(history.map((h) => h.to_status)).toEqual([
        'registered',
        'dispatched',
        'in_progress',
        'extension_requested',
        'in_progress',
        'resolved',
        'callback',
        'closed',
      ]);
      expect(history[6]).toMatchObject({ actor: 'agent1', from_status: 'resolved', note: '市民满意' });
      await expect(store.transition('12345-20990101-000001', 'closed', 'x')).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
      });
    });

    it("keeps a report's reporter from the department", async () => {
      const report = await store.register(
        draft({ demandType: 'report', idNumber: '110101199003071234', address: '南港区港湾路2号', district: '南港区' }),
        { actor: 'test' },
      );
      expect(report.phone).toBe('13912345678');
      expect(departmentView(report)).toMatchObject({ name: null, phone: null, idNumber: null });
      const complaint = await store.register(draft({ address: '南港区港湾路4号', district: '南港区' }), {
        actor: 'test',
      });
      expect(departmentView(complaint)).toMatchObject({ name: '王先生', phone: '13912345678' });
    });
  });
}
