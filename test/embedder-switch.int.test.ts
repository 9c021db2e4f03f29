import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingsServer, type EmbeddingsServer } from './support/embeddings-server.js';
import { eventually, startTestGateway, type TestGateway } from './support/gateway.js';
import { createStaff, signIn } from './support/staff.js';

describe('changing the embedder of a running deployment', () => {
  let dataDir: string;
  let endpoint: EmbeddingsServer;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-reembed-'));
    endpoint = await embeddingsServer();
  });
  afterAll(async () => {
    await gw?.cleanup();
    endpoint?.server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('re-embeds the base through the queue after a restart with a model endpoint, then searches with it', async () => {
    // First start: the built-in embedder indexes the demo base.
    const first = await startTestGateway({ dataDir });
    const builtinId = first.index.activeEmbedder;
    expect(builtinId).toMatch(/^builtin-/);
    await first.close();

    gw = await startTestGateway({
      dataDir,
      env: {
        EMBEDDER: 'openai',
        EMBEDDING_BASE_URL: endpoint.url,
        EMBEDDING_MODEL: 'bge-m3',
        EMBEDDING_DIMENSIONS: '256',
      },
    });
    await createStaff(gw, 'admin1', ['admin']);
    await createStaff(gw, 'editor1', ['editor']);
    const admin = await signIn(gw, 'admin1');
    const editor = await signIn(gw, 'editor1');

    const status = await eventually(
      async () => {
        const { body } = await admin('GET', '/index');
        return body.reembed?.state === 'switched' ? body : undefined;
      },
      60_000,
      'the re-embedding job to switch the index',
    );
    expect(status).toMatchObject({ dimensions: 256, pending: false, configured: status.embedder });
    expect(status.embedder).toMatch(/^openai:bge-m3:d256@/);
    expect(status.reembed.done).toBe(status.reembed.total);
    expect(endpoint.texts()).toBeGreaterThanOrEqual(status.reembed.total);

    const { body } = await editor('POST', '/search', { q: '我社保卡丢了，怎么补一张' });
    expect(body.hits[0]).toMatchObject({ articleId: 'social-insurance-001' });
    expect(body.hits[0].similarity).toBeGreaterThan(0.3);

    expect((await editor('POST', '/index/reembed', {})).status).toBe(403);
    const again = await admin('POST', '/index/reembed', {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('already built') });
  });
});
