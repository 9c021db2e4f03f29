import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { openTestDatabase, type TestDatabaseHandle } from '../../test/support/databases.js';
import { deleteRedisKeys, REDIS_URL, redisUnavailable } from '../../test/support/services.js';
import { createLogger } from '../logger.js';
import { BullMqQueue } from './bullmq-queue.js';
import { DatabaseDeadLetters } from './dead-letters.js';
import { jobQueueConformance } from './job-queue.conformance.js';

// Every key this file creates lives under its own prefix, removed afterwards.
const prefix = `test-${randomUUID()}`;
const logger = createLogger({ level: 'silent' });

describe.skipIf(await redisUnavailable())('BullMqQueue', () => {
  let database: TestDatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });

  afterAll(async () => {
    await deleteRedisKeys(prefix);
    await database?.cleanup();
  });

  jobQueueConformance('BullMQ on Redis', async () => {
    const deadLetters = new DatabaseDeadLetters(database.db);
    const queue = new BullMqQueue({
      redisUrl: REDIS_URL,
      prefix,
      defaults: { attempts: 3, backoffMs: 50 },
      deadLetters,
      logger,
    });
    return { queue, deadLetters, teardown: () => queue.stop() };
  });
});
