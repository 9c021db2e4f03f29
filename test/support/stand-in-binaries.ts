import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder of stand-in executables (shell scripts) for tests of code that runs a tool (ffmpeg, espeak-ng):
 * scripted output, errors, hangs. `script` writes one and returns its path; `remove` deletes the folder.
 */
export function standInBinaries(prefix: string): {
  dir: string;
  script(name: string, body: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
