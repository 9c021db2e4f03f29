import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTaxonomy, parseTaxonomy } from '../../tickets/taxonomy.js';
import { Nlu } from './nlu.js';

const TEXTS = ['楼下烧烤油烟太大了，每天晚上熏得家里全是烟味', '公积金能不能取出来交房租', '着火了，楼道里全是烟'];

describe('the language model cache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minsheng-nlu-cache-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const files = async () => (await readdir(dir)).filter((f) => f.endsWith('.json'));

  it('keeps trained models and gives the same answers from them', async () => {
    const trained = await Nlu.load(undefined, { cacheDir: dir });
    expect(await files()).toHaveLength(1);
    const cached = await Nlu.load(undefined, { cacheDir: dir });
    for (const text of TEXTS) expect(cached.analyze(text)).toEqual(trained.analyze(text));
  });

  it('reads the models from the cache rather than training them again', async () => {
    const [file] = await files();
    const saved = JSON.parse(await readFile(path.join(dir, file!), 'utf8')) as { categoryTemperature: number };
    const before = (await Nlu.load(undefined, { cacheDir: dir })).analyze(TEXTS[0]!).category!.confidence;
    // A temperature no training would choose flattens the category probabilities: proof the file was read.
    await writeFile(path.join(dir, file!), JSON.stringify({ ...saved, categoryTemperature: 1000 }));
    const after = (await Nlu.load(undefined, { cacheDir: dir })).analyze(TEXTS[0]!).category!.confidence;
    expect(after).toBeLessThan(before / 2);
  });

  it('trains again when the cache is damaged, and when what the models learn from changes', async () => {
    const [file] = await files();
    await writeFile(path.join(dir, file!), '{"demandTypes": {"labels": ["a"], "vocabulary": [], "weights": []');
    const recovered = await Nlu.load(undefined, { cacheDir: dir });
    expect(recovered.analyze(TEXTS[2]!).emergency).toMatchObject({ number: '119' });

    const bundled = await loadTaxonomy();
    const source = await readFile(new URL('../../tickets/taxonomy/taxonomy.yaml', import.meta.url), 'utf8');
    const changed = parseTaxonomy(source.replace('keywords: [公交线路,', 'keywords: [公交线路, 公交车太少,'));
    expect(changed.byCode('03.01.01')).not.toEqual(bundled.byCode('03.01.01'));
    await Nlu.load(changed, { cacheDir: dir });
    expect(await files()).toHaveLength(2);
  });
});
