import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyBertModel } from '../../test/support/tiny-onnx-model.js';
import { embedderFailure } from '../../test/support/embedder-errors.js';
import { cosine } from './builtin-embedder.js';
import { OnnxEmbedder } from './onnx-embedder.js';

/** A real model directory to run the same checks on, e.g. an `onnx-community/*` export; optional. */
const REAL_MODEL_DIR = process.env.MINSHENG_TEST_ONNX_MODEL_DIR;

let root: string;

beforeAll(async () => {
  // The embedder must never reach for the Hub: any attempt fails the test instead of downloading.
  nock.disableNetConnect();
  root = await mkdtemp(path.join(tmpdir(), 'minsheng-onnx-'));
});

afterAll(async () => {
  nock.enableNetConnect();
  await rm(root, { recursive: true, force: true });
});

describe('OnnxEmbedder model directory', () => {
  it('names a missing directory and what it should hold', async () => {
    const dir = path.join(root, 'no-such-model');

    const error = await embedderFailure(OnnxEmbedder.create(dir));

    expect(error.code).toBe('E_EMBEDDER_MODEL_FILES');
    expect(error.message).toContain(`ONNX model directory ${dir} does not exist`);
    expect(error.message).toContain('config.json, tokenizer.json, onnx/model.onnx');
  });

  it('names the files a directory lacks', async () => {
    const dir = path.join(root, 'half-model');
    await mkdir(dir);
    await writeFile(path.join(dir, 'config.json'), '{"model_type": "bert"}');

    const error = await embedderFailure(OnnxEmbedder.create(dir));

    expect(error.code).toBe('E_EMBEDDER_MODEL_FILES');
    expect(error.message).toContain(`ONNX model directory ${dir} lacks tokenizer.json, onnx/model.onnx`);
  });

  it('names the directory when the model in it cannot be loaded', async () => {
    const dir = path.join(root, 'broken-model');
    await writeTinyBertModel(dir);
    await writeFile(path.join(dir, 'onnx', 'model.onnx'), 'not a protobuf');

    const error = await embedderFailure(OnnxEmbedder.create(dir));

    expect(error.code).toBe('E_EMBEDDER_MODEL_FILES');
    expect(error.message).toContain(`Could not load the ONNX model in ${dir}`);
  });
});

describe('OnnxEmbedder on a tiny generated model', () => {
  let embedder: OnnxEmbedder;

  beforeAll(async () => {
    const dir = path.join(root, 'tiny-bert');
    await writeTinyBertModel(dir, { dimensions: 8 });
    embedder = await OnnxEmbedder.create(dir, { batchSize: 2 });
  });

  afterAll(async () => embedder?.dispose());

  it('learns the vector length from the model and names it in its id', () => {
    expect(embedder.dimensions).toBe(8);
    expect(embedder.id).toBe('onnx:tiny-bert:d8');
  });

  it('returns unit vectors of that length, equal for equal texts and different for different ones', async () => {
    const [a, b, c] = await embedder.embedDocuments(['社保卡丢了', '社保卡丢了', '公积金提取']);

    for (const vector of [a!, b!, c!]) {
      expect(vector).toHaveLength(8);
      expect(cosine(vector, vector)).toBeCloseTo(1, 5);
    }
    expect(a).toEqual(b);
    expect(cosine(a!, c!)).toBeLessThan(0.99);
  });

  it('gives a text the same vector alone as in a padded batch', async () => {
    const texts = ['电话', '社保卡丢了怎么补办', '停水', '噪音投诉', '户口迁移'];

    const batch = await embedder.embedDocuments(texts);

    expect(batch).toHaveLength(texts.length);
    for (const [i, text] of texts.entries()) {
      const alone = await embedder.embedQuery(text);
      alone.forEach((v, j) => expect(batch[i]![j]).toBeCloseTo(v, 5));
    }
  });
});

describe.runIf(REAL_MODEL_DIR)('OnnxEmbedder on MINSHENG_TEST_ONNX_MODEL_DIR', () => {
  it('embeds with the model in that directory', async () => {
    const embedder = await OnnxEmbedder.create(REAL_MODEL_DIR!);
    try {
      const [a, b, c] = await embedder.embedDocuments(['社保卡丢了怎么补办', '社保卡丢了怎么补办', '明天会下雨吗']);
      expect(a).toHaveLength(embedder.dimensions);
      expect(cosine(a!, a!)).toBeCloseTo(1, 5);
      expect(a).toEqual(b);
      expect(cosine(a!, c!)).toBeLessThan(0.99);
      expect(embedder.id).toBe(`onnx:${path.basename(path.resolve(REAL_MODEL_DIR!))}:d${embedder.dimensions}`);
    } finally {
      await embedder.dispose();
    }
  });
});
