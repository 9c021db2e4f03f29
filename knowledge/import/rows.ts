/** One row a reader produced: raw fields to validate, or why the row could not even be read. */
export type ImportRow =
  { line: number; file?: string; raw: Record<string, unknown> } | { line: number; file?: string; error: string };

/** How far a reader has got, for a progress bar: bytes of the file, or files of a directory. */
export interface ReadProgress {
  done: number;
  total: number | null;
  unit: 'bytes' | 'files';
}

/** A whole file cannot be imported (unreadable, empty, not the format it claims): nothing is read from it. */
export class ImportFileError extends Error {
  readonly code = 'E_IMPORT_FILE';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'ImportFileError';
  }
}
