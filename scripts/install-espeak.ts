/**
 * `npm install` (postinstall): spoken replies default to espeak-ng's Mandarin voice, from Debian's
 * `espeak-ng` package. Installed with apt when missing and this runs as root on a Debian-like system;
 * otherwise says how. Never fails the install: only the voice channel needs it.
 */
import { spawnSync } from 'node:child_process';

const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const say = (line: string): void => void process.stdout.write(`[minsheng] ${line}\n`);

function main(): void {
  if (has('espeak-ng', ['--version'])) return;
  if (process.env.MINSHENG_SKIP_SYSTEM_SETUP === '1') return say('espeak-ng missing; system set-up skipped');
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get', ['--version'])) {
    return say(
      'espeak-ng is not installed: the voice bot cannot speak until it is (Debian: apt-get install espeak-ng)',
    );
  }
  say('installing espeak-ng (Debian package) for the voice bot');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'espeak-ng'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (install()) return;
  // A machine whose package lists were never fetched: fetch them once and try again.
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  if (!install()) say('could not install espeak-ng; the voice bot cannot speak until it is');
}

main();
