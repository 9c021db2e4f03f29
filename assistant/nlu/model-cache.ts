/**
 * Trained classifiers kept on disk between starts, keyed by a hash of everything they were learnt from:
 * the labelled examples, the taxonomy, and the source of the training and feature code. A changed example
 * or a changed line of training code gives a new key, so a cached model is never stale; old files are
 * left for the operator (each is a few megabytes). Any failure to read or write only costs the training.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/logger.js';
import type { Taxonomy } from '../../tickets/taxonomy.js';
import type { LabelledText, SavedTextClassifier } from './text-classifier.js';

export interface SavedModels {
  demandTypes: SavedTextClassifier;
  categoryTemperature: number;
  emergencies: SavedTextClassifier;
  refusals: SavedTextClassifier;
}

/** Bump when the saved format changes. */
const FORMAT = 1;

/** The code that decides what a trained model is, relative to this module (same extension as this file). */
const TRAINING_CODE = [
  './text-classifier',
  './category-classifier',
  './nlu',
  '../../knowledge/embedders/text-features',
  '../../knowledge/lexical-index',
];

export async function modelKey(taxonomy: Taxonomy, examples: readonly (readonly LabelledText[])[]): Promise<string> {
  const self = fileURLToPath(import.meta.url);
  const extension = path.extname(self);
  const hash = createHash('sha256').update(`format ${FORMAT}\n`);
  for (const module of TRAINING_CODE) {
    hash.update(await readFile(path.resolve(path.dirname(self), module + extension)));
  }
  hash.update(JSON.stringify(taxonomy.minors.map((m) => [m.code, m.name, m.keywords])));
  hash.update(JSON.stringify(examples));
  return hash.digest('hex').slice(0, 24);
}

export class ModelCache {
  constructor(
    private readonly dir: string,
    private readonly logger?: Logger,
  ) {}

  private file(key: string): string {
    return path.join(this.dir, `nlu-${key}.json`);
  }

  async read(key: string): Promise<SavedModels | undefined> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8')) as SavedModels;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger?.warn({ err: error }, 'unreadable language model cache; training instead');
      }
      return undefined;
    }
  }

  /** Written to a temporary file and renamed: instances starting together never read half a file. */
  async write(key: string, models: SavedModels): Promise<void> {
    const target = this.file(key);
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(temporary, JSON.stringify(models));
      await rename(temporary, target);
    } catch (error) {
      this.logger?.warn({ err: error, dir: this.dir }, 'could not cache the trained language models');
    }
  }
}
