import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { EmbedderError, type KnowledgeEmbedder } from './embedder.js';

/**
 * What a model directory must hold: a Hugging Face model exported for transformers.js (as in the
 * `onnx-community/*` and `Xenova/*` repositories), full precision.
 */
export const ONNX_MODEL_FILES = ['config.json', 'tokenizer.json', 'onnx/model.onnx'] as const;

export interface OnnxEmbedderOptions {
  /** Texts per model run: a batch is padded to its longest text, so larger batches cost memory. Default 16. */
  batchSize?: number;
}

/** Embedded at start-up to learn the model's vector length (and to fail then, not on the first citizen). */
const PROBE_TEXT = '社保卡丢了怎么补办';

/**
 * A sentence-embedding model from a local directory, run on the CPU by ONNX Runtime through
 * transformers.js: mean pooling over the tokens, then unit length. Nothing is ever downloaded: remote
 * models are switched off and only the given directory is read.
 */
export class OnnxEmbedder implements KnowledgeEmbedder {
  private constructor(
    readonly id: string,
    readonly dimensions: number,
    private readonly extract: FeatureExtractionPipeline,
    private readonly batchSize: number,
  ) {}

  /** Loads the model in `dir` and embeds a probe text to learn its vector length. */
  static async create(dir: string, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const modelDir = path.resolve(dir);
    await assertModelFiles(modelDir);
    // Loaded here, not at module load: ONNX Runtime costs start-up time the built-in embedder never needs.
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.dirname(modelDir) + path.sep;
    let extract: FeatureExtractionPipeline;
    try {
      // An absolute path is never taken for a Hub model id, so the directory is read as it is.
      extract = await pipeline('feature-extraction', modelDir, {
        dtype: 'fp32',
        device: 'cpu',
        local_files_only: true,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EmbedderError('E_EMBEDDER_MODEL_FILES', `Could not load the ONNX model in ${modelDir}: ${reason}`);
    }
    const [probe] = await run(extract, [PROBE_TEXT]);
    const dimensions = probe!.length;
    return new OnnxEmbedder(
      `onnx:${path.basename(modelDir)}:d${dimensions}`,
      dimensions,
      extract,
      options.batchSize ?? 16,
    );
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      vectors.push(...(await run(this.extract, texts.slice(start, start + this.batchSize))));
    }
    return vectors;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await run(this.extract, [text]);
    return vector!;
  }

  /** Frees the ONNX Runtime session. */
  async dispose(): Promise<void> {
    await this.extract.dispose();
  }
}

async function run(extract: FeatureExtractionPipeline, texts: string[]): Promise<number[][]> {
  const output = await extract(texts, { pooling: 'mean', normalize: true });
  return output.tolist() as number[][];
}

/** The library's own error for a missing file names one path deep in its internals; this names them all. */
async function assertModelFiles(dir: string): Promise<void> {
  const expected = `expected a model exported for transformers.js: ${ONNX_MODEL_FILES.join(', ')}`;
  if (!(await isDirectory(dir))) {
    throw new EmbedderError('E_EMBEDDER_MODEL_FILES', `ONNX model directory ${dir} does not exist (${expected})`);
  }
  const missing: string[] = [];
  for (const file of ONNX_MODEL_FILES) {
    const info = await stat(path.join(dir, file)).catch(() => undefined);
    if (!info?.isFile()) missing.push(file);
  }
  if (missing.length > 0) {
    throw new EmbedderError(
      'E_EMBEDDER_MODEL_FILES',
      `ONNX model directory ${dir} lacks ${missing.join(', ')} (${expected})`,
    );
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  return info?.isDirectory() ?? false;
}
