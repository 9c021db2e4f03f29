import type { Config } from '../../core/config.js';
import { BuiltinEmbedder } from './builtin-embedder.js';
import type { KnowledgeEmbedder } from './embedder.js';

/** Which embedder the knowledge base uses, with what each kind needs and nothing else. */
export type EmbedderConfig =
  | { kind: 'builtin' }
  | {
      kind: 'openai';
      baseUrl: string;
      model: string;
      apiKey?: string;
      /** Vector length the index is built for. */
      dimensions: number;
      batchSize?: number;
      timeoutMs?: number;
    }
  | { kind: 'onnx'; dir: string };

/**
 * The one place an embedder is chosen. Async because a local model is loaded (and probed for its vector
 * length) before the gateway takes traffic; an endpoint is not called until the first text. The other
 * embedders' modules are imported only when chosen: `@langchain/openai` alone takes about 2 s to load,
 * start-up time the built-in embedder should not pay.
 */
export async function createEmbedder(config: EmbedderConfig): Promise<KnowledgeEmbedder> {
  switch (config.kind) {
    case 'builtin':
      return new BuiltinEmbedder();
    case 'openai': {
      const { OpenAIEmbedder } = await import('./openai-embedder.js');
      return new OpenAIEmbedder({
        baseURL: config.baseUrl,
        model: config.model,
        apiKey: config.apiKey,
        dimensions: config.dimensions,
        batchSize: config.batchSize,
        timeoutMs: config.timeoutMs,
      });
    }
    case 'onnx': {
      const { OnnxEmbedder } = await import('./onnx-embedder.js');
      return OnnxEmbedder.create(config.dir);
    }
  }
}

/**
 * The gateway config's embedder settings as an `EmbedderConfig`. `loadConfig` has already checked that
 * each kind's variables are set; the checks here only narrow the types.
 */
export function embedderConfigFromEnv(config: Config): EmbedderConfig {
  const { kind, baseUrl, model, apiKey, dimensions, onnxDir } = config.embedder;
  switch (kind) {
    case 'builtin':
      return { kind };
    case 'openai':
      if (baseUrl === undefined || model === undefined || dimensions === undefined) {
        throw new Error('EMBEDDER=openai needs EMBEDDING_BASE_URL, EMBEDDING_MODEL and EMBEDDING_DIMENSIONS');
      }
      return { kind, baseUrl, model, apiKey, dimensions };
    case 'onnx':
      if (onnxDir === undefined) throw new Error('EMBEDDER=onnx needs EMBEDDING_ONNX_DIR');
      return { kind, dir: onnxDir };
  }
}
