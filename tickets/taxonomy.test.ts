import { describe, expect, it } from 'vitest';
import { loadTaxonomy, parseTaxonomy, TaxonomyError, type TaxonomyErrorCode } from './taxonomy.js';

// Small trees written for these tests (sample data).
const departments = `
departments:
  - { code: DIST_ECO, name: 区生态环境分局, level: district }
  - { code: DIST_URBAN, name: 区城市管理局, level: district }
`;

const tree = (minorCode = "'02.01.03'", department = 'DIST_ECO', keywords = '[广场舞, KTV]') => `${departments}
majors:
  - code: '02'
    name: 生态环境
    middles:
      - code: '02.01'
        name: 噪声污染
        minors:
          - code: ${minorCode}
            name: 社会生活噪声
            department: ${department}
            keywords: ${keywords}
`;

function problemOf(text: string): TaxonomyError {
  try {
    parseTaxonomy(text, 'test.yaml');
  } catch (error) {
    if (error instanceof TaxonomyError) return error;
    throw error;
  }
  throw new Error('expected a TaxonomyError');
}

const expectProblem = (text: string, code: TaxonomyErrorCode, message: RegExp) => {
  const error = problemOf(text);
  expect(error.problems.map((p) => p.code)).toContain(code);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/^test\.yaml: /);
  expect(error.message).toMatch(message);
};

describe('bundled taxonomy', () => {
  // Parsed once: every test below only reads it.
  const bundled = loadTaxonomy();

  it('loads with at least 12 majors and 60 minors', async () => {
    const taxonomy = await bundled;
    expect(taxonomy.majors.length).toBeGreaterThanOrEqual(12);
    expect(taxonomy.minors.length).toBeGreaterThanOrEqual(60);
  });

  it('gives every minor a listed department and 5 to 12 distinct keywords', async () => {
    const taxonomy = await bundled;
    const departmentCodes = new Set(taxonomy.departments.map((d) => d.code));
    for (const minor of taxonomy.minors) {
      expect(departmentCodes.has(minor.department), minor.code).toBe(true);
      expect(taxonomy.departmentOf(minor.code).code).toBe(minor.department);
      expect(minor.keywords.length, minor.code).toBeGreaterThanOrEqual(5);
      expect(minor.keywords.length, minor.code).toBeLessThanOrEqual(12);
      expect(new Set(minor.keywords).size, minor.code).toBe(minor.keywords.length);
    }
  });

  it('has well-formed, unique codes nested under their parents', async () => {
    const taxonomy = await bundled;
    const codes: string[] = [];
    for (const major of taxonomy.majors) {
      expect(major.code).toMatch(/^\d{2}$/);
      codes.push(major.code);
      for (const middle of major.middles) {
        expect(middle.code).toMatch(new RegExp(`^${major.code}\\.\\d{2}$`));
        codes.push(middle.code);
        for (const minor of middle.minors) {
          expect(minor.code).toMatch(new RegExp(`^${middle.code.replace('.', '\\.')}\\.\\d{2}$`));
          codes.push(minor.code);
        }
      }
    }
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(taxonomy.departments.map((d) => d.code)).size).toBe(taxonomy.departments.length);
  });

  it('finds classes of every level by code and names their path', async () => {
    const taxonomy = await bundled;
    expect(taxonomy.byCode('02')).toMatchObject({ level: 'major', name: '生态环境' });
    expect(taxonomy.byCode('02.01')).toMatchObject({ level: 'middle', majorCode: '02' });
    expect(taxonomy.byCode('02.01.03')).toMatchObject({ level: 'minor', middleCode: '02.01', majorCode: '02' });
    expect(taxonomy.byCode('99.99.99')).toBeUndefined();
    expect(taxonomy.path('02.01.03')).toBe('生态环境 / 噪声污染 / 社会生活噪声');
    expect(taxonomy.path('02.01')).toBe('生态环境 / 噪声污染');
    expect(taxonomy.path('02')).toBe('生态环境');
  });

  it('defaults anonymous to true and keeps explicit false', async () => {
    const taxonomy = await bundled;
    expect(taxonomy.byCode('01.04.01')).toMatchObject({ anonymous: true });
    expect(taxonomy.byCode('05.01.01')).toMatchObject({ anonymous: false });
  });

  it('ties cases to a place unless the class says otherwise', async () => {
    const taxonomy = await bundled;
    expect(taxonomy.byCode('01.05.02')).toMatchObject({ place: true });
    expect(taxonomy.byCode('09.02.02')).toMatchObject({ place: false });
  });

  it('refuses lookups that are not minor classes with a coded error', async () => {
    const taxonomy = await bundled;
    expect(() => taxonomy.departmentOf('02.01')).toThrow(expect.objectContaining({ code: 'E_TAXONOMY_UNKNOWN_CODE' }));
    expect(() => taxonomy.path('99')).toThrow(/99 is not a class code/);
  });
});

describe('parseTaxonomy', () => {
  it('accepts a minimal tree', () => {
    const taxonomy = parseTaxonomy(tree());
    expect(taxonomy.minors.map((m) => m.code)).toEqual(['02.01.03']);
    expect(taxonomy.departmentOf('02.01.03').name).toBe('区生态环境分局');
  });

  it('reports a code used twice', () => {
    const text = tree().replace(
      "          - code: '02.01.03'",
      "          - { code: '02.01.03', name: 重复, department: DIST_ECO, keywords: [吵] }\n          - code: '02.01.03'",
    );
    expectProblem(
      text,
      'E_TAXONOMY_DUPLICATE_CODE',
      /code 02\.01\.03 \(社会生活噪声\) is already used at .*minors\[0\]/,
    );
  });

  it('reports a department code used twice', () => {
    const text = tree().replace('majors:', '  - { code: DIST_ECO, name: 又一个, level: city }\nmajors:');
    expectProblem(text, 'E_TAXONOMY_DUPLICATE_CODE', /department code DIST_ECO is already used at departments\[0\]/);
  });

  it('reports a minor whose code is not under its middle', () => {
    expectProblem(
      tree("'05.02.03'"),
      'E_TAXONOMY_CODE_NESTING',
      /minor 05\.02\.03 \(社会生活噪声\) is listed under middle 02\.01 .*must start with '02\.01\.'/,
    );
  });

  it('reports a middle whose code is not under its major', () => {
    expectProblem(
      tree().replace("code: '02.01'", "code: '03.01'").replace("'02.01.03'", "'03.01.03'"),
      'E_TAXONOMY_CODE_NESTING',
      /middle 03\.01 \(噪声污染\) is listed under major 02 .*must start with '02\.'/,
    );
  });

  it('reports an unknown department code', () => {
    expectProblem(
      tree(undefined, 'DIST_NOISE'),
      'E_TAXONOMY_UNKNOWN_DEPARTMENT',
      /names department DIST_NOISE, which is not listed in departments/,
    );
  });

  it('reports empty and blank keywords', () => {
    expectProblem(tree(undefined, undefined, '[]'), 'E_TAXONOMY_EMPTY_KEYWORDS', /needs at least one keyword/);
    expectProblem(tree(undefined, undefined, "[广场舞, ' ']"), 'E_TAXONOMY_EMPTY_KEYWORDS', /no blank ones/);
  });

  it('explains unquoted codes that YAML reads as numbers', () => {
    expectProblem(
      tree().replace("code: '02.01'", 'code: 02.01'),
      'E_TAXONOMY_SCHEMA',
      /majors\[0\]\.middles\[0\]\.code: must be a quoted string like '05\.02'/,
    );
  });

  it('reports misspelt fields and missing ones by where they are', () => {
    const error = problemOf(tree().replace('keywords:', 'keyword:'));
    expect(error.code).toBe('E_TAXONOMY_SCHEMA');
    expect(error.message).toMatch(/majors\[0\]\.middles\[0\]\.minors\[0\]/);
    expect(error.message).toMatch(/keyword/);
  });

  it('reports text that is not YAML', () => {
    expectProblem('majors: [\n', 'E_TAXONOMY_SYNTAX', /not valid YAML/);
  });

  it('lists every problem of a file at once', () => {
    const error = problemOf(tree("'05.02.03'", 'DIST_NOISE', '[]'));
    expect(error.problems.map((p) => p.code)).toEqual([
      'E_TAXONOMY_CODE_NESTING',
      'E_TAXONOMY_UNKNOWN_DEPARTMENT',
      'E_TAXONOMY_EMPTY_KEYWORDS',
    ]);
    expect(error.message).toMatch(/3 problems/);
  });
});
