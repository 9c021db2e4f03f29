import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * The ticket category tree (GB/T 39666 style: major `05` / middle `05.02` / minor `05.02.03`), each minor
 * class mapped to the department that handles it. The bundled tree (taxonomy/taxonomy.yaml) is sample data.
 */

export interface Department {
  code: string;
  name: string;
  /** `district`: the office of the district the case is in; `city`: one office for the whole city. */
  level: 'city' | 'district';
}

export interface MinorClass {
  level: 'minor';
  code: string;
  name: string;
  /** A department code. */
  department: string;
  /** Words and short phrases citizens use for this kind of case. */
  keywords: readonly string[];
  /** False where the case cannot be handled without knowing who the citizen is. */
  anonymous: boolean;
  /** False where the case is not tied to a place a department must go to (a bus route, a benefit). */
  place: boolean;
  middleCode: string;
  majorCode: string;
}

export interface MiddleClass {
  level: 'middle';
  code: string;
  name: string;
  majorCode: string;
  minors: readonly MinorClass[];
}

export interface MajorClass {
  level: 'major';
  code: string;
  name: string;
  middles: readonly MiddleClass[];
}

export type TaxonomyClass = MajorClass | MiddleClass | MinorClass;

export interface Taxonomy {
  readonly majors: readonly MajorClass[];
  /** Every minor class, in file order. */
  readonly minors: readonly MinorClass[];
  readonly departments: readonly Department[];
  /** A class of any level, or undefined for a code the tree does not have. */
  byCode(code: string): TaxonomyClass | undefined;
  /** The department of a minor class; throws E_TAXONOMY_UNKNOWN_CODE for anything but a minor code. */
  departmentOf(minorCode: string): Department;
  /** Names from the major down to the class, e.g. `生态环境 / 噪声污染 / 社会生活噪声`. */
  path(code: string): string;
}

export type TaxonomyErrorCode =
  | 'E_TAXONOMY_SYNTAX'
  | 'E_TAXONOMY_SCHEMA'
  | 'E_TAXONOMY_DUPLICATE_CODE'
  | 'E_TAXONOMY_CODE_NESTING'
  | 'E_TAXONOMY_UNKNOWN_DEPARTMENT'
  | 'E_TAXONOMY_EMPTY_KEYWORDS'
  | 'E_TAXONOMY_UNKNOWN_CODE';

export interface TaxonomyProblem {
  code: TaxonomyErrorCode;
  /** Where in the document, e.g. `majors[1].middles[0].minors[2].department`. */
  at: string;
  message: string;
}

/** A taxonomy file that cannot be used; `problems` lists every one found, `code` is the first one's. */
export class TaxonomyError extends Error {
  readonly code: TaxonomyErrorCode;
  constructor(
    readonly source: string,
    readonly problems: readonly TaxonomyProblem[],
  ) {
    const lines = problems.map((p) => (p.at ? `${p.at}: ${p.message}` : p.message));
    super(
      lines.length === 1 ? `${source}: ${lines[0]}` : `${source}: ${lines.length} problems\n- ${lines.join('\n- ')}`,
    );
    this.name = 'TaxonomyError';
    this.code = problems[0]?.code ?? 'E_TAXONOMY_SCHEMA';
  }
}

export const BUNDLED_TAXONOMY = new URL('./taxonomy/taxonomy.yaml', import.meta.url);

// YAML reads an unquoted 01 or 05.02 as a number: say how to fix it instead of "expected string".
const codeField = (pattern: RegExp, example: string) =>
  z
    .string({ error: `must be a quoted string like '${example}' (unquoted codes are read as numbers)` })
    .regex(pattern, { error: `must look like '${example}'` });

const departmentSchema = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: 'must be UPPER_SNAKE_CASE, e.g. DIST_URBAN' }),
  name: z.string().trim().min(1),
  level: z.enum(['city', 'district']),
});

const minorSchema = z.strictObject({
  code: codeField(/^\d{2}\.\d{2}\.\d{2}$/, '05.02.03'),
  name: z.string().trim().min(1),
  department: z.string().min(1),
  // Emptiness is checked after the schema so it gets its own error code.
  keywords: z.array(z.string({ error: "must be a string (quote numbers such as '12345')" })),
  anonymous: z.boolean().default(true),
  place: z.boolean().default(true),
});

const middleSchema = z.strictObject({
  code: codeField(/^\d{2}\.\d{2}$/, '05.02'),
  name: z.string().trim().min(1),
  minors: z.array(minorSchema).min(1),
});

const majorSchema = z.strictObject({
  code: codeField(/^\d{2}$/, '05'),
  name: z.string().trim().min(1),
  middles: z.array(middleSchema).min(1),
});

const fileSchema = z.strictObject({
  departments: z.array(departmentSchema).min(1),
  majors: z.array(majorSchema).min(1),
});

type TaxonomyFile = z.infer<typeof fileSchema>;

/** Reads and validates a taxonomy file; without an argument, the bundled one. */
export async function loadTaxonomy(file: string | URL = BUNDLED_TAXONOMY): Promise<Taxonomy> {
  const text = await readFile(file, 'utf8');
  return parseTaxonomy(text, file instanceof URL ? fileURLToPath(file) : file);
}

/** Validates taxonomy YAML text; `source` names it in error messages. Throws a TaxonomyError. */
export function parseTaxonomy(text: string, source = '<taxonomy>'): Taxonomy {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TaxonomyError(source, [{ code: 'E_TAXONOMY_SYNTAX', at: '', message: `not valid YAML: ${message}` }]);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    throw new TaxonomyError(
      source,
      parsed.error.issues.map((issue) => ({
        code: 'E_TAXONOMY_SCHEMA' as const,
        at: formatPath(issue.path),
        message: issue.message,
      })),
    );
  }
  const problems = checkTree(parsed.data);
  if (problems.length > 0) throw new TaxonomyError(source, problems);
  return buildTaxonomy(parsed.data);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** The rules a schema cannot express: unique codes, nesting, known departments, keywords present. */
function checkTree(file: TaxonomyFile): TaxonomyProblem[] {
  const problems: TaxonomyProblem[] = [];
  const departmentAt = new Map<string, string>();
  file.departments.forEach((department, d) => {
    const at = `departments[${d}].code`;
    const first = departmentAt.get(department.code);
    if (first === undefined) departmentAt.set(department.code, at);
    else
      problems.push({
        code: 'E_TAXONOMY_DUPLICATE_CODE',
        at,
        message: `department code ${department.code} is already used at ${first}`,
      });
  });

  const classAt = new Map<string, string>();
  const claim = (code: string, name: string, at: string) => {
    const first = classAt.get(code);
    if (first === undefined) classAt.set(code, `${at} (${name})`);
    else
      problems.push({
        code: 'E_TAXONOMY_DUPLICATE_CODE',
        at,
        message: `code ${code} (${name}) is already used at ${first}`,
      });
  };

  file.majors.forEach((major, i) => {
    const majorAt = `majors[${i}]`;
    claim(major.code, major.name, `${majorAt}.code`);
    major.middles.forEach((middle, j) => {
      const middleAt = `${majorAt}.middles[${j}]`;
      claim(middle.code, middle.name, `${middleAt}.code`);
      if (!middle.code.startsWith(`${major.code}.`))
        problems.push({
          code: 'E_TAXONOMY_CODE_NESTING',
          at: `${middleAt}.code`,
          message: `middle ${middle.code} (${middle.name}) is listed under major ${major.code} (${major.name}); its code must start with '${major.code}.'`,
        });
      middle.minors.forEach((minor, k) => {
        const minorAt = `${middleAt}.minors[${k}]`;
        claim(minor.code, minor.name, `${minorAt}.code`);
        if (!minor.code.startsWith(`${middle.code}.`))
          problems.push({
            code: 'E_TAXONOMY_CODE_NESTING',
            at: `${minorAt}.code`,
            message: `minor ${minor.code} (${minor.name}) is listed under middle ${middle.code} (${middle.name}); its code must start with '${middle.code}.'`,
          });
        if (!departmentAt.has(minor.department))
          problems.push({
            code: 'E_TAXONOMY_UNKNOWN_DEPARTMENT',
            at: `${minorAt}.department`,
            message: `minor ${minor.code} (${minor.name}) names department ${minor.department}, which is not listed in departments`,
          });
        if (minor.keywords.length === 0 || minor.keywords.some((keyword) => keyword.trim() === ''))
          problems.push({
            code: 'E_TAXONOMY_EMPTY_KEYWORDS',
            at: `${minorAt}.keywords`,
            message: `minor ${minor.code} (${minor.name}) needs at least one keyword and no blank ones`,
          });
      });
    });
  });
  return problems;
}

function buildTaxonomy(file: TaxonomyFile): Taxonomy {
  const departments: Department[] = file.departments.map((d) => ({ ...d }));
  const departmentByCode = new Map(departments.map((d) => [d.code, d]));
  const byCode = new Map<string, TaxonomyClass>();
  const minors: MinorClass[] = [];

  const majors = file.majors.map((major): MajorClass => {
    const middles = major.middles.map((middle): MiddleClass => {
      const middleMinors = middle.minors.map((minor): MinorClass => {
        const node: MinorClass = {
          level: 'minor',
          code: minor.code,
          name: minor.name,
          department: minor.department,
          keywords: minor.keywords.map((keyword) => keyword.trim()),
          anonymous: minor.anonymous,
          place: minor.place,
          middleCode: middle.code,
          majorCode: major.code,
        };
        minors.push(node);
        byCode.set(node.code, node);
        return node;
      });
      const node: MiddleClass = {
        level: 'middle',
        code: middle.code,
        name: middle.name,
        majorCode: major.code,
        minors: middleMinors,
      };
      byCode.set(node.code, node);
      return node;
    });
    const node: MajorClass = { level: 'major', code: major.code, name: major.name, middles };
    byCode.set(node.code, node);
    return node;
  });

  const unknown = (code: string, expected: string): TaxonomyError =>
    new TaxonomyError('taxonomy', [
      { code: 'E_TAXONOMY_UNKNOWN_CODE', at: '', message: `${code} is not ${expected} of the taxonomy` },
    ]);

  return {
    majors,
    minors,
    departments,
    byCode: (code) => byCode.get(code),
    departmentOf(minorCode) {
      const node = byCode.get(minorCode);
      if (node?.level !== 'minor') throw unknown(minorCode, 'a minor class code');
      // checkTree has made sure every minor's department exists.
      return departmentByCode.get(node.department)!;
    },
    path(code) {
      const node = byCode.get(code);
      if (node === undefined) throw unknown(code, 'a class code');
      const codes =
        node.level === 'major'
          ? [node.code]
          : node.level === 'middle'
            ? [node.majorCode, node.code]
            : [node.majorCode, node.middleCode, node.code];
      return codes.map((c) => byCode.get(c)!.name).join(' / ');
    },
  };
}
