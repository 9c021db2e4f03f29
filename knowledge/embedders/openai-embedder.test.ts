import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { embedderFailure } from '../../test/support/embedder-errors.js';
import nock from '../../test/support/nock.js';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.js';

const ORIGIN = 'https://embeddings.example.test';
const BASE_URL = `${ORIGIN}/v1`;
const API_KEY = 'sk-test-2f9c1e7a55d04b2b';

interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: string;
}

/** A unit vector that encodes the text, so a test can tell which text each vector belongs to. */
function vectorFor(text: string, dimensions = 4): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  vector[[...text].length % dimensions] = 1;
  return vector;
}

/** nock 15 calls a reply function with the fetch `Request` (a second parameter would make it callback style). */
async function parse(request: Request): Promise<EmbeddingsRequest> {
  return (await request.json()) as EmbeddingsRequest;
}

/** An OpenAI embeddings response for the request, as any compatible server answers it. */
function answer(body: EmbeddingsRequest, dimensions = 4) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  return {
    object: 'list',
    model: body.model,
    data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(text, dimensions) })),
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  };
}

function embedder(options: Partial<OpenAIEmbedderOptions> = {}): OpenAIEmbedder {
  return new OpenAIEmbedder({ baseURL: BASE_URL, model: 'bge-m3', apiKey: API_KEY, dimensions: 4, ...options });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  vi.unstubAllEnvs();
});
afterAll(() => nock.enableNetConnect());

describe('OpenAIEmbedder', () => {
  it('sends the texts in batches and returns the vectors in the order of the texts', async () => {
    const requests: EmbeddingsRequest[] = [];
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .times(3)
      .matchHeader('authorization', `Bearer ${API_KEY}`)
      .reply(200, async (request: Request) => {
        requests.push(await parse(request));
        return answer(requests.at(-1)!);
      });
    const texts = ['社', '社保', '社保卡', '社保卡丢', '社保卡丢了'];

    const vectors = await embedder({ batchSize: 2 }).embedDocuments(texts);

    expect(vectors).toEqual(texts.map((t) => vectorFor(t)));
    scope.done();
    expect(requests.map((r) => r.input).sort()).toEqual(
      [['社', '社保'], ['社保卡', '社保卡丢'], ['社保卡丢了']].sort(),
    );
    for (const request of requests) {
      expect(request).toEqual({ model: 'bge-m3', input: expect.any(Array), encoding_format: 'float' });
    }
  });

  it('asks the server for the index length only when told to', async () => {
    let request: EmbeddingsRequest | undefined;
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .reply(200, async (req: Request) => ((request = await parse(req)), answer(request)));

    await embedder({ requestDimensions: true }).embedQuery('公积金怎么提取');

    scope.done();
    expect(request).toEqual({ model: 'bge-m3', input: '公积金怎么提取', dimensions: 4, encoding_format: 'float' });
  });

  it('names model, length and host in its id', () => {
    expect(embedder().id).toBe('openai:bge-m3:d4@embeddings.example.test');
    expect(embedder({ baseURL: 'http://127.0.0.1:11434/v1', model: 'bge-m3:567m' }).id).toBe(
      'openai:bge-m3:567m:d4@127.0.0.1:11434',
    );
  });

  it('scales vectors to unit length', async () => {
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .reply(200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [3, 0, 4, 0] }] });

    expect(await embedder().embedQuery('停水')).toEqual([0.6, 0, 0.8, 0]);
    scope.done();
  });

  it('refuses vectors of another length than the index is built for', async () => {
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .reply(200, async (request: Request) => answer(await parse(request), 1024));

    const error = await embedderFailure(embedder({ dimensions: 768 }).embedDocuments(['停水了']));

    scope.done();
    expect(error.code).toBe('E_EMBEDDER_DIMENSIONS');
    expect(error.message).toMatch(/bge-m3/);
    expect(error.message).toMatch(/length 1024.*built for 768/);
  });

  it('does not call the endpoint for no texts', async () => {
    expect(await embedder().embedDocuments([])).toEqual([]);
  });

  it('reports a refused key with its status, without retrying and without the key', async () => {
    // OpenAI echoes the key it refused in the message: it must not reach the error.
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .once()
      .reply(401, {
        error: {
          message: `Incorrect API key provided: ${API_KEY}. You can find your API key at https://platform.openai.com.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });

    const instance = embedder();
    const error = await embedderFailure(instance.embedQuery('噪音投诉'));

    scope.done();
    expect(error).toMatchObject({ code: 'E_EMBEDDER_HTTP', status: 401 });
    expect(error.message).toMatch(/embeddings\.example\.test.*bge-m3.*HTTP 401: the API key was refused/);
    expect(error.message).toContain('(Incorrect API key provided: ***.');
    expect(error.message).not.toContain(API_KEY);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
    expect(JSON.stringify(instance)).not.toContain(API_KEY);
  });

  it('retries a server error and returns the answer that follows', async () => {
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .reply(500, { error: { message: 'CUDA out of memory' } })
      .post('/v1/embeddings')
      .reply(200, async (request: Request) => answer(await parse(request)));

    expect(await embedder().embedQuery('户口迁移')).toEqual(vectorFor('户口迁移'));
    scope.done();
  });

  it('retries a rate limit without Retry-After, as self-hosted servers send it', async () => {
    const scope = nock(ORIGIN)
      .post('/v1/embeddings')
      .reply(429, { error: { message: 'too many requests' } })
      .post('/v1/embeddings')
      .reply(200, async (request: Request) => answer(await parse(request)));

    expect(await embedder().embedQuery('医疗险')).toEqual(vectorFor('医疗险'));
    scope.done();
  });

  it('surfaces a server error that outlasts the retries, with its status', async () => {
    const scope = nock(ORIGIN).post('/v1/embeddings').times(2).reply(503, 'upstream unavailable');

    const error = await embedderFailure(embedder({ maxRetries: 1 }).embedQuery('电话'));

    scope.done();
    expect(error).toMatchObject({ code: 'E_EMBEDDER_HTTP', status: 503 });
    expect(error.message).toMatch(/HTTP 503: server error \(upstream unavailable\)/);
  });

  it('works with an Ollama-style base URL and no key, never sending an ambient OPENAI_API_KEY', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-ambient-should-not-leave');
    let authorization: string | undefined;
    const scope = nock('http://127.0.0.1:11434')
      .post('/v1/embeddings')
      .reply(200, async (request: Request) => {
        authorization = request.headers.get('authorization') ?? '';
        return answer(await parse(request));
      });
    const local = new OpenAIEmbedder({ baseURL: 'http://127.0.0.1:11434/v1', model: 'bge-m3', dimensions: 4 });

    expect(await local.embedDocuments(['投诉', '噪音扰民'])).toEqual([vectorFor('投诉'), vectorFor('噪音扰民')]);
    scope.done();
    expect(authorization).not.toContain('sk-ambient');
  });

  it('reports an unknown model with the server’s words', async () => {
    const scope = nock('http://127.0.0.1:11434')
      .post('/v1/embeddings')
      .reply(404, { error: 'model "bge-m4" not found, try pulling it first' });
    const local = new OpenAIEmbedder({ baseURL: 'http://127.0.0.1:11434/v1', model: 'bge-m4', dimensions: 4 });

    const error = await embedderFailure(local.embedQuery('社保'));

    scope.done();
    expect(error).toMatchObject({ code: 'E_EMBEDDER_HTTP', status: 404 });
    expect(error.message).toMatch(/HTTP 404: unknown model.*\(model "bge-m4" not found, try pulling it first\)/);
  });

  it('reports an answer that is not an embeddings response', async () => {
    const scope = nock(ORIGIN).post('/v1/embeddings').reply(200, { object: 'list', data: [] });

    const error = await embedderFailure(embedder().embedQuery('社保'));

    scope.done();
    expect(error.code).toBe('E_EMBEDDER_RESPONSE');
    expect(error.message).toMatch(/^Embedding endpoint embeddings\.example\.test \(model bge-m3\) answered with/);
  });

  it('gives up on an endpoint that does not answer within the timeout', async () => {
    // nock's delayed replies ignore the client's abort, so a real local server that never answers it is.
    const server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      const slow = embedder({ baseURL: `http://127.0.0.1:${port}/v1`, timeoutMs: 200, maxRetries: 0 });

      const error = await embedderFailure(slow.embedQuery('社保'));

      expect(error.code).toBe('E_EMBEDDER_UNREACHABLE');
      expect(error.message).toMatch(/127\.0\.0\.1:\d+ \(model bge-m3\) did not answer within 200 ms$/);
    } finally {
      nock.disableNetConnect();
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports an endpoint it cannot reach', async () => {
    const error = await embedderFailure(
      embedder({ baseURL: 'http://unreachable.example.test/v1', maxRetries: 0 }).embedQuery('社保'),
    );

    expect(error.code).toBe('E_EMBEDDER_UNREACHABLE');
    expect(error.message).toMatch(
      /^Embedding endpoint unreachable\.example\.test \(model bge-m3\) could not be reached: /,
    );
  });
});
