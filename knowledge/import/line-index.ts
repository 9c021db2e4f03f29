const LF = 0x0a;
const CR = 0x0d;

/**
 * Line numbers for byte offsets of a stream that is read once, front to back. csv-parse's own line count
 * is off for CRLF line breaks inside quoted values, so the reader counts LF bytes itself and looks up the
 * offset where each record starts. Lines before the last offset looked up are dropped: memory stays
 * bounded by the parser's read-ahead, whatever the file's size.
 */
export class LineIndex {
  /** Start offset of each line still held; `starts[i]` is line `firstLine + i`. */
  private readonly starts: number[];
  /** Whether each complete line held is empty (or only a CR); one entry fewer than `starts`. */
  private readonly blank: boolean[] = [];
  private firstLine: number;
  private position: number;
  private lastByte = -1;

  /** `offset` is where the indexed bytes begin in the file, `line` the number of the line starting there. */
  constructor(offset = 0, line = 1) {
    this.starts = [offset];
    this.firstLine = line;
    this.position = offset;
  }

  /** Offset just past the bytes indexed so far. */
  get end(): number {
    return this.position;
  }

  add(chunk: Uint8Array): void {
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
      const lineStart = this.starts[this.starts.length - 1]!;
      const length = this.position + at - lineStart;
      const previous = at > 0 ? chunk[at - 1] : this.lastByte;
      this.blank.push(length === 0 || (length === 1 && previous === CR));
      this.starts.push(this.position + at + 1);
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1]!;
    this.position += chunk.length;
  }

  /**
   * The number of the first non-blank line at or after `offset`: where a record that starts at `offset`
   * really begins, since the parser skips blank lines before it. Offsets must not decrease between calls.
   */
  recordLine(offset: number): number {
    let i = 0;
    while (i + 1 < this.starts.length && this.starts[i + 1]! <= offset) i++;
    while (this.blank[i] === true && i + 1 < this.starts.length) i++;
    this.drop(i);
    return this.firstLine;
  }

  /** Start offset of a line held by the index (the last one looked up, or later). */
  startOf(line: number): number {
    const start = this.starts[line - this.firstLine];
    if (start === undefined) throw new RangeError(`line ${line} is not indexed`);
    return start;
  }

  private drop(count: number): void {
    if (count === 0) return;
    // The arrays hold only the parser's read-ahead (a chunk's worth of lines): splicing stays cheap.
    this.starts.splice(0, count);
    this.blank.splice(0, count);
    this.firstLine += count;
  }
}
