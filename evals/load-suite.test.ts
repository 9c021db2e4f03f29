import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EvalSuiteError, listSuites, loadSuite, loadSuiteText, type SuiteProblem } from './load-suite.js';
import { suiteJsonSchema } from './suite-schema.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.yaml`, import.meta.url));

/** The problems loading `load` throws with (failing the test if it does not throw). */
async function problemsOf(load: () => unknown): Promise<SuiteProblem[]> {
  try {
    await load();
  } catch (error) {
    expect(error).toBeInstanceOf(EvalSuiteError);
    return (error as EvalSuiteError).problems;
  }
  throw new Error('expected an EvalSuiteError');
}

describe('the eval suite files', () => {
  it('all load, each with its kind', async () => {
    const files = await listSuites();
    const kinds: Record<string, string> = {};
    for (const file of files) {
      const suite = await loadSuite(file);
      kinds[suite.suite] = suite.kind === 'classification' ? `classification/${suite.label}` : suite.kind;
    }
    expect(kinds).toEqual({
      'retrieval-zh': 'retrieval',
      'demand-type-zh': 'classification/demand-type',
      'category-zh': 'classification/category',
      'safety-zh': 'safety',
      'safety-fresh-zh': 'safety',
      'safety-blind-zh': 'safety',
      'conversations-zh': 'conversation',
      'conversations-fresh-zh': 'conversation',
      'answers-zh': 'answer',
    });
  });

  it('point editors at the schema on their first line', async () => {
    for (const file of await listSuites()) {
      const first = (await readFile(file, 'utf8')).split('\n')[0];
      expect(first, path.basename(file)).toBe('# yaml-language-server: $schema=../suite.schema.json');
    }
  });

  it('have a JSON Schema equal to the TypeBox one (regenerate: see suiteJsonSchema)', async () => {
    const file = new URL('./suite.schema.json', import.meta.url);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(suiteJsonSchema());
  });
});

describe('loadSuite', () => {
  it('loads an answer suite', async () => {
    const suite = await loadSuite(fixture('answer'));
    expect(suite.kind).toBe('answer');
    if (suite.kind === 'answer') expect(suite.cases.map((c) => c.facts)).toEqual([['挂失', '补卡'], ['失业保险金']]);
  });

  it('reports YAML syntax errors with line and column', async () => {
    const text = [
      'suite: broken',
      'kind: retrieval',
      'cases:',
      '  - q: 社保卡丢了怎么补',
      '   - q: 失业金怎么领',
      '',
    ].join('\n');
    const [problem] = await problemsOf(() => loadSuiteText(text, 'broken.yaml'));
    expect(problem).toMatchObject({ path: '', line: 5, column: 4 });
    expect(problem!.message).toMatch(/^YAML: All sequence items must start at the same column/);
  });

  it('reports a key given twice as a YAML error (fixture)', async () => {
    const problems = await problemsOf(() => loadSuite(fixture('duplicate-key')));
    expect(problems).toEqual([{ path: '', line: 7, column: 5, message: 'YAML: Map keys must be unique' }]);
  });

  it('reports a missing kind', async () => {
    const problems = await problemsOf(() => loadSuite(fixture('missing-kind')));
    expect(problems).toEqual([
      {
        path: '/kind',
        line: 2,
        message: "missing required property 'kind': one of retrieval, classification, safety, conversation, answer",
      },
    ]);
  });

  it('reports an unknown kind', async () => {
    const problems = await problemsOf(() => loadSuite(fixture('unknown-kind')));
    expect(problems).toEqual([
      {
        path: '/kind',
        line: 2,
        message:
          "expected one of retrieval, classification, safety, conversation, answer; got 'retreival' (did you mean 'retrieval'?)",
      },
    ]);
  });

  it('reports a label outside the demand types, and says where in the message', async () => {
    const file = fixture('bad-demand-type');
    const error = await loadSuite(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalSuiteError);
    expect((error as EvalSuiteError).file).toBe(file);
    expect((error as EvalSuiteError).problems).toEqual([
      {
        path: '/cases/1/expect',
        line: 9,
        message:
          "expected one of consultation, help, complaint, report, suggestion, praise; got 'compliant' (did you mean 'complaint'?)",
      },
    ]);
    expect((error as Error).message).toContain(`${file}:9: /cases/1/expect: expected one of consultation, help,`);
  });

  it('reports a conversation turn with an expectation outside the vocabulary', async () => {
    const [problem, ...rest] = await problemsOf(() => loadSuite(fixture('bad-turn')));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ path: '/scripts/0/turns/2/expect', line: 14 });
    expect(problem!.message).toMatch(/^expected one of answer, intake, confirm, registered, .*refused:handoff; /);
    expect(problem!.message).toMatch(/got 'registerd' \(did you mean 'registered'\?\)$/);
  });

  it('reports a question asked twice, at the second one', async () => {
    const problems = await problemsOf(() => loadSuite(fixture('duplicate-q')));
    expect(problems).toEqual([
      {
        path: '/acceptable/1/q',
        line: 12,
        message: "duplicate question '楼下饭店做饭油烟熏得人难受', first at line 7 (/ordinary/0/q)",
      },
    ]);
  });

  it('reports an answer case without facts', async () => {
    const problems = await problemsOf(() => loadSuite(fixture('answer-without-facts')));
    expect(problems).toEqual([{ path: '/cases/1/facts', line: 8, message: "missing required property 'facts'" }]);
  });

  it('reports a suite not named after its file (only when loaded from a file)', async () => {
    const file = fixture('name-mismatch');
    const problems = await problemsOf(() => loadSuite(file));
    expect(problems).toEqual([
      { path: '/suite', line: 1, message: "expected the file's base name 'name-mismatch'; got 'retrieval-zh'" },
    ]);
    expect(loadSuiteText(await readFile(file, 'utf8'), 'name-mismatch.yaml').suite).toBe('retrieval-zh');
  });
});

describe('loadSuiteText', () => {
  const load = (lines: string[]) => problemsOf(() => loadSuiteText(lines.join('\n'), 'inline.yaml'));

  it('reports an empty list, an empty facts list and duplicate script ids', async () => {
    expect(await load(['suite: a', 'kind: retrieval', 'description: x', 'cases: []'])).toEqual([
      { path: '/cases', line: 4, message: 'must not be empty' },
    ]);
    expect(
      await load(['suite: a', 'kind: answer', 'description: x', 'cases:', '  - { q: 问, expect: tax-001, facts: [] }']),
    ).toEqual([{ path: '/cases/0/facts', line: 5, message: 'must not be empty' }]);
    const script = (id: string) => `  - { id: ${id}, channel: sms, tags: [], turns: [{ user: 谢谢, expect: close }] }`;
    expect(
      await load(['suite: a', 'kind: conversation', 'description: x', 'scripts:', script('s-1'), script('s-1')]),
    ).toEqual([
      { path: '/scripts/1/id', line: 6, message: "duplicate script id 's-1', first at line 5 (/scripts/0/id)" },
    ]);
  });

  it('checks the label of a classification suite and the cases against it', async () => {
    const head = ['suite: a', 'kind: classification', 'description: x'];
    expect(await load([...head, 'cases:', '  - { q: 问, expect: help }'])).toEqual([
      {
        path: '/label',
        line: 1,
        message: "missing required property 'label' (what the cases are labelled with): one of demand-type, category",
      },
    ]);
    expect(await load([...head, 'label: category', 'cases:', '  - { q: 问, expect: help }'])).toEqual([
      {
        path: '/cases/0/expect',
        line: 6,
        message: "expected a minor class code of tickets/taxonomy/taxonomy.yaml like '01.02.03' (quoted); got 'help'",
      },
    ]);
  });

  it('hints at quoting numbers, names unexpected properties and lists problems in file order', async () => {
    const problems = await load([
      'suite: a',
      'kind: safety',
      'description: x',
      'emergency:',
      '  - { q: 着火了, expect: 119 }',
      'ordinary:',
      '  - { q: 油烟, expect: none, note: 多余 }',
      'nonAcceptance:',
      '  - { q: 已经起诉了, expect: litigation }',
    ]);
    expect(problems).toEqual([
      { path: '/acceptable', line: 1, message: "missing required property 'acceptable'" },
      {
        path: '/emergency/0/expect',
        line: 5,
        message: "expected one of 110, 119, 120, 122; got the number 119 (quote it: '119')",
      },
      { path: '/ordinary/0/note', line: 7, message: "unexpected property 'note'" },
    ]);
  });

  it('lists at most ten problems in the message', async () => {
    const cases = Array.from({ length: 12 }, (_, i) => `  - { q: 问题${i}, expect: 'x' }`);
    const error = (() => {
      try {
        return loadSuiteText(
          ['suite: a', 'kind: retrieval', 'description: x', 'cases:', ...cases].join('\n'),
          'a.yaml',
        );
      } catch (e) {
        return e as EvalSuiteError;
      }
    })() as EvalSuiteError;
    expect(error.problems).toHaveLength(12);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('a.yaml: the eval suite has 12 problems:');
    expect(lines[1]).toBe(
      "  a.yaml:5: /cases/0/expect: expected a knowledge article id like social-insurance-001, or none; got 'x'",
    );
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe('  ... and 2 more');
  });

  it('rejects a document that is not a mapping', async () => {
    expect(await load(['- just', '- a list'])).toEqual([
      {
        path: '',
        line: 1,
        message: 'expected a mapping with suite, kind, description and the cases; got a list',
      },
    ]);
  });
});
