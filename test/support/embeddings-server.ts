import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuiltinEmbedder } from '../../knowledge/embedders/builtin-embedder.js';

export interface EmbeddingsServer {
  server: Server;
  /** The base URL, as EMBEDDING_BASE_URL takes it (…/v1). */
  url: string;
  /** Texts embedded so far. */
  texts(): number;
}

/**
 * An OpenAI-compatible embeddings server (what vLLM, TEI or Ollama expose) on a local port. Its vectors
 * are a 256-dimension built-in embedding, so searches through it still find the right articles.
 */
export async function embeddingsServer(): Promise<EmbeddingsServer> {
  const model = new BuiltinEmbedder({ dimensions: 256 });
  let texts = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', async () => {
      const { input, model: name } = JSON.parse(body) as { input: string | string[]; model: string };
      const inputs = Array.isArray(input) ? input : [input];
      texts += inputs.length;
      const vectors = await model.embedDocuments(inputs);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          object: 'list',
          model: name,
          data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
          usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, texts: () => texts };
}
