import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { markdownToRaw } from './markdown.js';
import { ImportFileError, type ImportRow, type ReadProgress } from './rows.js';

const MARKDOWN_FILE = /\.(md|markdown)$/i;

/**
 * Reads one Markdown article, or every `.md` file under a directory (sub-directories too, in name
 * order). Each file is one row, named in the report by its path; `line` is 1, or the line of a front
 * matter error.
 */
export async function* readMarkdown(source: string, progress: ReadProgress): AsyncGenerator<ImportRow> {
  const isDirectory = (await stat(source)).isDirectory();
  const files = isDirectory
    ? (await readdir(source, { recursive: true })).filter((name) => MARKDOWN_FILE.test(name)).sort()
    : [source];
  if (files.length === 0) throw new ImportFileError(source, 'the directory holds no .md files');
  progress.total = files.length;
  for (const name of files) {
    const file = isDirectory ? path.join(source, name) : name;
    const row = await readArticleFile(file, name);
    progress.done++;
    yield row;
  }
}

async function readArticleFile(file: string, label: string): Promise<ImportRow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { line: 1, file: label, error: `cannot read the file: ${(error as Error).message}` };
  }
  try {
    return { line: 1, file: label, raw: markdownToRaw(text) };
  } catch (error) {
    // gray-matter hands the parser the text from the end of the opening `---`: its lines are the file's.
    const yamlLine = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    return {
      line: yamlLine ?? 1,
      file: label,
      // The message's own position repeats the line: dropped.
      error: `invalid front matter: ${(error as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    };
  }
}
