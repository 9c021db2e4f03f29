import { afterAll, beforeAll, describe } from 'vitest';
import { openTestDatabase, testEngines, type TestDatabaseHandle } from '../../test/support/databases.js';
import { createLogger } from '../logger.js';
import { DatabaseDeadLetters } from './dead-letters.js';
import { jobQueueConformance } from './job-queue.conformance.js';
import { PgBossQueue } from './pgboss-queue.js';

const logger = createLogger({ level: 'silent' });

const engines = await testEngines();

for (const { kind, skip } of engines) {
  describe.skipIf(skip)(`PgBossQueue on ${kind}`, () => {
    let database: TestDatabaseHandle;

    beforeAll(async () => {
      database = await openTestDatabase(kind);
    });

    afterAll(async () => {
      await database?.cleanup();
    });

    // A fresh queue per test on one database per engine: pg-boss installs its schema on the first start.
    jobQueueConformance(`pg-boss on ${kind}`, async () => {
      const deadLetters = new DatabaseDeadLetters(database.db);
      const queue = new PgBossQueue({
        pool: database.pool,
        defaults: { attempts: 3, backoffMs: 50 },
        deadLetters,
        logger,
      });
      return { queue, deadLetters, teardown: () => queue.stop() };
    });
  });
}
