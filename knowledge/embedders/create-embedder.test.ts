import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';
import { writeTinyBertModel } from '../../test/support/tiny-onnx-model.js';
import { BuiltinEmbedder } from './builtin-embedder.js';
import { createEmbedder, embedderConfigFromEnv } from './create-embedder.js';
import { EmbedderError } from './embedder.js';
import { OnnxEmbedder } from './onnx-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';

const OPENAI_ENV = {
  EMBEDDER: 'openai',
  EMBEDDING_BASE_URL: 'http://127.0.0.1:11434/v1/',
  EMBEDDING_MODEL: 'bge-m3',
  EMBEDDING_DIMENSIONS: '1024',
};

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'minsheng-embedder-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('embedder configuration', () => {
  it('uses the built-in embedder when nothing is set', async () => {
    const config = embedderConfigFromEnv(loadConfig({}));

    expect(config).toEqual({ kind: 'builtin' });
    const embedder = await createEmbedder(config);
    expect(embedder).toBeInstanceOf(BuiltinEmbedder);
    expect(embedder.id).toMatch(/^builtin-hash-v1:d512:/);
  });

  it('maps EMBEDDER=openai to an endpoint embedder, without calling it', async () => {
    const config = embedderConfigFromEnv(loadConfig({ ...OPENAI_ENV, EMBEDDING_API_KEY: 'sk-local' }));

    expect(config).toEqual({
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'bge-m3',
      apiKey: 'sk-local',
      dimensions: 1024,
    });
    const embedder = await createEmbedder(config);
    expect(embedder).toBeInstanceOf(OpenAIEmbedder);
    expect(embedder).toMatchObject({ id: 'openai:bge-m3:d1024@127.0.0.1:11434', dimensions: 1024 });
  });

  it('maps EMBEDDER=onnx to a local model, loaded and probed at creation', async () => {
    const dir = path.join(root, 'tiny-bert');
    await writeTinyBertModel(dir, { dimensions: 16 });
    const config = embedderConfigFromEnv(loadConfig({ EMBEDDER: 'onnx', EMBEDDING_ONNX_DIR: dir }));

    expect(config).toEqual({ kind: 'onnx', dir });
    const embedder = await createEmbedder(config);
    expect(embedder).toBeInstanceOf(OnnxEmbedder);
    expect(embedder).toMatchObject({ id: 'onnx:tiny-bert:d16', dimensions: 16 });
    await (embedder as OnnxEmbedder).dispose();
  });

  it('fails at creation, not at the first text, when the model directory is missing', async () => {
    const dir = path.join(root, 'missing');

    await expect(createEmbedder({ kind: 'onnx', dir })).rejects.toThrow(EmbedderError);
    await expect(createEmbedder({ kind: 'onnx', dir })).rejects.toThrow(dir);
  });

  it.each(['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS'])(
    'stops with a message naming %s when EMBEDDER=openai lacks it',
    (variable) => {
      const env = { ...OPENAI_ENV, [variable]: undefined };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(`Invalid configuration: ${variable}: required when EMBEDDER=openai`);
    },
  );

  it('stops with a message naming EMBEDDING_ONNX_DIR when EMBEDDER=onnx lacks it', () => {
    expect(() => loadConfig({ EMBEDDER: 'onnx' })).toThrow(
      new ConfigError('EMBEDDING_ONNX_DIR', 'required when EMBEDDER=onnx'),
    );
  });

  it.each([
    ['EMBEDDER', 'bert'],
    ['EMBEDDING_BASE_URL', 'localhost:11434/v1'],
    ['EMBEDDING_BASE_URL', 'ftp://models.example/v1'],
    ['EMBEDDING_DIMENSIONS', '0'],
    ['EMBEDDING_DIMENSIONS', '4097'],
    ['EMBEDDING_DIMENSIONS', '768.5'],
    ['EMBEDDING_DIMENSIONS', 'many'],
  ])('stops with a message naming %s for the bad value %j', (variable, value) => {
    const env = { ...OPENAI_ENV, [variable]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable}: `));
  });

  it('ignores endpoint variables while the built-in embedder is chosen', () => {
    expect(embedderConfigFromEnv(loadConfig({ EMBEDDING_MODEL: 'bge-m3' }))).toEqual({ kind: 'builtin' });
  });
});
