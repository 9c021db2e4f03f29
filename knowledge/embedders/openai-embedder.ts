import { parseRetryAfterMs } from '@langchain/core/utils/async_caller';
import { OpenAIEmbeddings } from '@langchain/openai';
import { EmbedderError, normalizeVector, type KnowledgeEmbedder } from './embedder.js';

export interface OpenAIEmbedderOptions {
  /**
   * The endpoint's base URL, up to and including the API version: `https://api.openai.com/v1`,
   * `http://127.0.0.1:11434/v1` (Ollama), `http://vllm:8000/v1`, `http://tei:8080/v1`,
   * `https://dashscope.aliyuncs.com/compatible-mode/v1`. Requests go to `<baseURL>/embeddings`.
   */
  baseURL: string;
  model: string;
  /** Bearer token. Local servers need none. */
  apiKey?: string;
  /** The vector length the index is built for; every response is checked against it. */
  dimensions: number;
  /**
   * Also send `dimensions` in the request, asking the server to shorten its vectors (OpenAI's
   * text-embedding-3, DashScope's text-embedding-v3/v4). Off by default: servers of models without
   * Matryoshka training (vLLM, TEI) reject the field.
   */
  requestDimensions?: boolean;
  /** Texts per request. Default 32, TEI's default limit; DashScope accepts at most 10. */
  batchSize?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Retries of a 408, 429, 5xx or network failure, with exponential backoff from 1 s. Default 3. */
  maxRetries?: number;
}

/**
 * LangChain reads ambient OpenAI variables (OPENAI_API_KEY, OPENAI_ORG_ID...) when a setting is missing;
 * this embedder may point at any server, so it never lets them through. Local servers ignore the key, but
 * the client insists on one.
 */
const NO_API_KEY = 'no-key';

/**
 * An OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, TEI, Ollama, DashScope compatible mode)
 * through LangChain's `OpenAIEmbeddings`, which batches the texts and retries. Vectors are checked against
 * the expected length and normalised to unit length.
 */
export class OpenAIEmbedder implements KnowledgeEmbedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly host: string;
  private readonly model: string;
  private readonly timeoutMs: number;
  // JS-private: serialising the embedder (a log line, an error report) never carries the key.
  readonly #client: OpenAIEmbeddings;
  readonly #apiKey: string | undefined;

  constructor(options: OpenAIEmbedderOptions) {
    if (!Number.isInteger(options.dimensions) || options.dimensions <= 0) {
      throw new Error('dimensions must be a positive integer');
    }
    this.host = new URL(options.baseURL).host;
    this.model = options.model;
    this.dimensions = options.dimensions;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.#apiKey = options.apiKey;
    this.id = `openai:${options.model}:d${options.dimensions}@${this.host}`;
    this.#client = new OpenAIEmbeddings({
      model: options.model,
      apiKey: options.apiKey ?? NO_API_KEY,
      dimensions: options.requestDimensions ? options.dimensions : undefined,
      batchSize: options.batchSize ?? 32,
      timeout: this.timeoutMs,
      maxRetries: options.maxRetries ?? 3,
      onFailedAttempt: retryTransientFailures,
      // Texts go as they are: current embedding models do not need newlines replaced.
      stripNewLines: false,
      // The OpenAI client asks for base64 unless told otherwise, which not every compatible server speaks.
      encodingFormat: 'float',
      configuration: {
        baseURL: options.baseURL,
        organization: null,
        project: null,
        adminAPIKey: null,
        // The client would otherwise print to the console; failures reach the caller as errors.
        logLevel: 'off',
      },
    });
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const vectors = await this.request(() => this.#client.embedDocuments(texts));
    return vectors.map((vector) => this.checked(vector));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.checked(await this.request(() => this.#client.embedQuery(text)));
  }

  private async request<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.describe(error);
    }
  }

  /** A vector of another length would poison the index (or fail its column): stop at the first one. */
  private checked(vector: number[]): number[] {
    if (vector.length !== this.dimensions) {
      throw new EmbedderError(
        'E_EMBEDDER_DIMENSIONS',
        `Embedding model ${this.model} at ${this.host} returned vectors of length ${vector.length}, ` +
          `but the index is built for ${this.dimensions}`,
      );
    }
    return normalizeVector(vector);
  }

  /** One clear error per failure, naming endpoint, model and status, with the API key never in it. */
  private describe(error: unknown): EmbedderError {
    const status = statusOf(error);
    const where = `Embedding endpoint ${this.host} (model ${this.model})`;
    if (status !== undefined) {
      const detail = this.redact(serverMessage(error));
      return new EmbedderError(
        'E_EMBEDDER_HTTP',
        `${where} answered HTTP ${status}: ${STATUS_HINTS[status] ?? (status >= 500 ? 'server error' : 'request refused')}` +
          (detail ? ` (${detail})` : ''),
        status,
      );
    }
    if (error instanceof Error && error.name === 'TimeoutError') {
      return new EmbedderError('E_EMBEDDER_UNREACHABLE', `${where} did not answer within ${this.timeoutMs} ms`);
    }
    if (error instanceof Error && error.constructor.name === 'APIConnectionError') {
      const reason = this.redact(connectionFailure(error));
      return new EmbedderError('E_EMBEDDER_UNREACHABLE', `${where} could not be reached: ${reason}`);
    }
    const reason = this.redact(error instanceof Error ? error.message : String(error));
    return new EmbedderError(
      'E_EMBEDDER_RESPONSE',
      `${where} answered with something other than embeddings: ${reason}`,
    );
  }

  private redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('***') : text;
  }
}

const STATUS_HINTS: Record<number, string> = {
  400: 'the request was refused (does the model accept these inputs and settings?)',
  401: 'the API key was refused',
  403: 'the API key may not use this model',
  404: 'unknown model, or the base URL is wrong (it usually ends in /v1)',
  413: 'the batch is too large for the server (lower the batch size)',
  429: 'rate limited, still after retries',
};

/**
 * Retry only what may pass on a second try: 408, 429 (waiting as long as Retry-After asks), 5xx and
 * network failures. LangChain's default handler also gives up on a 429 without Retry-After, which
 * self-hosted servers under load answer; a quota that is used up will not come back, so that is final.
 */
function retryTransientFailures(error: unknown): void {
  if (!(error instanceof Error) || error.name === 'AbortError') throw error;
  const status = statusOf(error);
  if (status === undefined || status >= 500 || status === 408) return;
  if (status !== 429 || codeOf(error) === 'insufficient_quota') throw error;
  const retryAfterMs = parseRetryAfterMs(headerOf(error, 'retry-after'));
  if (retryAfterMs !== undefined) Object.assign(error, { retryAfterMs: Math.min(retryAfterMs, 60_000) });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

function headerOf(error: unknown, name: string): string | null {
  const headers = (error as { headers?: unknown } | null)?.headers;
  return headers instanceof Headers ? headers.get(name) : null;
}

/**
 * The server's own words: OpenAI and TEI answer `{error: {message}}` or `{error}`, Ollama `{error}`; a body
 * that is not JSON is in the client's message, after the status.
 */
function serverMessage(error: unknown): string {
  const body = (error as { error?: unknown } | null)?.error;
  const fromBody = typeof body === 'object' && body ? (body as { message?: unknown }).message : body;
  if (typeof fromBody === 'string') return fromBody.slice(0, 300);
  if (!(error instanceof Error)) return '';
  // LangChain appends a troubleshooting link on a new line.
  const message = error.message.split('\n')[0]!.replace(/^\d{3} /, '');
  return message === 'status code (no body)' ? '' : message.slice(0, 300);
}

/** The network reason (ECONNREFUSED, ENOTFOUND...) behind the client's generic "Connection error.". */
function connectionFailure(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = codeOf(current);
    if (typeof code === 'string') return code;
    if (!(current.cause instanceof Error)) return current.message;
    current = current.cause;
  }
  return String(current);
}
