import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../test/support/databases.js';
import { CallRecords } from './call-records.js';

for (const { kind, skip } of await testEngines()) {
  describe.skipIf(skip)(`CallRecords on ${kind}`, () => {
    let handle: TestDatabaseHandle;
    let calls: CallRecords;
    beforeAll(async () => {
      handle = await openTestDatabase(kind);
      calls = new CallRecords(handle.db);
    });
    afterAll(async () => handle?.cleanup());

    it('opens a call once and closes it once: a late second close changes nothing', async () => {
      await calls.open({ id: 'twilio:CA1', transport: 'twilio', caller: '+8613800138000' });
      await calls.open({ id: 'twilio:CA1', transport: 'twilio', caller: 'someone else' });
      await calls.close('twilio:CA1', 'caller-hung-up', { audioMs: 12_345.6, utterances: 3, bargeIns: 1 });
      await calls.close('twilio:CA1', 'stream-closed', { audioMs: 99_999, utterances: 9, bargeIns: 9 });
      expect(await calls.get('twilio:CA1')).toMatchObject({
        caller: '+8613800138000',
        endReason: 'caller-hung-up',
        audioMs: 12_346,
        utterances: 3,
        bargeIns: 1,
      });
    });

    it('closes as lost only the calls open for longer than any call may last', async () => {
      await calls.open({ id: 'audiosocket:old', transport: 'audiosocket' });
      await calls.open({ id: 'audiosocket:live', transport: 'audiosocket' });
      await handle.db
        .updateTable('voice_calls')
        .set({ started_at: sql<Date>`now() - interval '2 hours'` })
        .where('id', '=', 'audiosocket:old')
        .execute();
      expect(await calls.closeLost(60 * 60_000)).toBe(1);
      expect(await calls.get('audiosocket:old')).toMatchObject({ endReason: 'lost' });
      expect((await calls.get('audiosocket:live'))?.endedAt).toBeNull();
    });
  });
}
