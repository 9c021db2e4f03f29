import { spawnSync } from 'node:child_process';

/**
 * Why spoken-reply tests cannot run here (no espeak-ng), or null when they can. With
 * MINSHENG_REQUIRE_SERVICES=1 (CI) a missing espeak-ng fails the run instead: `npm install` and
 * .ci/setup-system.sh install it.
 */
export const espeakMissing: string | null =
  spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0
    ? null
    : 'espeak-ng not found (apt-get install espeak-ng; npm install does it when run as root)';
if (espeakMissing && process.env.MINSHENG_REQUIRE_SERVICES === '1') throw new Error(espeakMissing);
if (espeakMissing) console.warn(`[skip] ${espeakMissing}`);
