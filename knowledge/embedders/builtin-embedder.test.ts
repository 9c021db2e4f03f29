import { describe, expect, it } from 'vitest';
import { BuiltinEmbedder, cosine } from './builtin-embedder.js';
import { normalizeText, textFeatures } from './text-features.js';
import { DEFAULT_FEATURE_WEIGHTS } from './builtin-embedder.js';

const embedder = new BuiltinEmbedder();

describe('BuiltinEmbedder', () => {
  it('makes deterministic, unit-length vectors of the configured size', async () => {
    const [a] = await embedder.embedDocuments(['社保卡丢了怎么补办']);
    const b = await embedder.embedQuery('社保卡丢了怎么补办');
    expect(a).toHaveLength(512);
    expect(a).toEqual(b);
    expect(cosine(a!, a!)).toBeCloseTo(1, 10);
  });

  it('ignores punctuation, spaces and full-width forms', () => {
    expect(embedder.embed('社保卡，丢了？ＡＢＣ')).toEqual(embedder.embed('社保卡丢了 abc'));
  });

  it('finds a paraphrase closer than a different question on the same topic, and far closer than an unrelated one', () => {
    // A lexical embedder cannot know that 社保卡 is 社会保障卡 or that 丢 is 遗失: the search layer's
    // synonym dictionary maps those before embedding. Here the paraphrase shares the telling words.
    const q = embedder.embed('我的社保卡丢了要怎么补办');
    const paraphrase = embedder.embed('社保卡遗失了如何补办');
    const sameTopic = embedder.embed('社保缴费基数怎么调整');
    const unrelated = embedder.embed('明天会下雨吗');
    expect(cosine(q, paraphrase)).toBeGreaterThan(cosine(q, sameTopic));
    expect(cosine(q, sameTopic)).toBeGreaterThan(cosine(q, unrelated));
    expect(cosine(q, unrelated)).toBeLessThan(0.1);
  });

  it('weighs telling words above common ones (IDF)', () => {
    const features = textFeatures('请问社保卡怎么补办', DEFAULT_FEATURE_WEIGHTS);
    expect(features.get('w:社保卡')!).toBeGreaterThan(features.get('w:怎么')!);
    expect(features.get('w:请问') ?? 0).toBeLessThan(features.get('w:补办')!);
  });

  it('names its settings, so an index never mixes vectors of two embedders', () => {
    expect(new BuiltinEmbedder({ dimensions: 1024 }).id).not.toBe(embedder.id);
    expect(embedder.id).toMatch(/^builtin-hash-v1:d512:/);
    expect(() => new BuiltinEmbedder({ dimensions: 300 })).toThrow(/power of two/);
  });

  it('normalizes text the same way everywhere', () => {
    expect(normalizeText(' 公积金，ＡＢ！ ')).toBe('公积金ab');
  });
});
