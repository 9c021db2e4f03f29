import { describe, expect, it } from 'vitest';
import { describeProgress, formatImportSummary } from './summary.js';

describe('import summary', () => {
  it('lists counts, warnings and the first rejected rows, naming files for a Markdown directory', () => {
    const text = formatImportSummary(
      { path: 'kb-md', format: 'md', warnings: ['ignored columns: 备注'] },
      {
        read: 5,
        accepted: 2,
        rejected: 3,
        created: 1,
        updated: 1,
        rejectedRows: [
          {
            line: 1,
            file: '社保/a.md',
            id: 'social-insurance-1',
            reasons: ['title is required', 'question is required'],
          },
          { line: 3, file: 'b.md', id: null, reasons: ['invalid front matter: bad indentation'] },
          { line: 1, file: 'c.md', id: 'tax-9', reasons: ['answerFull is required'] },
        ],
      },
      { dryRun: false, publish: false, seconds: 0.2, tableRows: 2 },
    );
    expect(text).toBe(
      [
        'Read 5 rows from kb-md (md) in 0.2 s',
        'Warning: ignored columns: 备注',
        '  accepted  2  (saved as drafts: created 1, updated 1)',
        '  rejected  3',
        '',
        // 社保 takes four terminal columns: the file column is 11 wide.
        'LINE         ID                  REASONS',
        '社保/a.md:1  social-insurance-1  title is required; question is required',
        'b.md:3       -                   invalid front matter: bad indentation',
        '... and 1 more (--report <file> writes them all)',
        '',
      ].join('\n'),
    );
  });

  it('describes progress in megabytes or files', () => {
    expect(describeProgress({ done: 3 * 1024 * 1024, total: 12 * 1024 * 1024, unit: 'bytes' })).toBe(
      '3.0/12.0 MB (25%)',
    );
    expect(describeProgress({ done: 2, total: 40, unit: 'files' })).toBe('2/40 files');
  });
});
