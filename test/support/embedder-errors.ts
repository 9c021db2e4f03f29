import { expect } from 'vitest';
import { EmbedderError } from '../../knowledge/embedders/embedder.js';

/** The EmbedderError a promise rejects with (the test fails when it resolves or rejects with another). */
export async function embedderFailure(promise: Promise<unknown>): Promise<EmbedderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmbedderError);
  return error as EmbedderError;
}
