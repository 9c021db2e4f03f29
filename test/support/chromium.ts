import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, or null when they can. With MINSHENG_REQUIRE_SERVICES=1 (CI) a
 * missing Chromium fails the run instead.
 */
export const chromiumMissing: string | null = existsSync(CHROMIUM)
  ? null
  : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or run .ci/setup-system.sh)`;
if (chromiumMissing && process.env.MINSHENG_REQUIRE_SERVICES === '1') throw new Error(chromiumMissing);
if (chromiumMissing) console.warn(`[skip] ${chromiumMissing}`);

/** Debian's Chromium, headless, driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // No network here but loopback: keep Chromium from trying to phone home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
