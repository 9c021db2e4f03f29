/**
 * Preloaded into a gateway process by bench/load.ts (`NODE_OPTIONS=--import tsx --import ./bench/cpu-profiler.ts`,
 * since Node 20 refuses `--cpu-prof` in NODE_OPTIONS): SIGUSR2 starts V8's sampling profiler, the next SIGUSR2
 * stops it and writes `<pid>-<n>.cpuprofile` into BENCH_CPU_PROFILE_DIR, so a profile covers the load levels
 * and not the start-up.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  let written = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start')),
      );
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result: Profiler.StopReturnType) => {
      if (error) return console.error('cpu profile:', error);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${process.pid}-${++written}.cpuprofile`), JSON.stringify(result.profile));
      // The bench waits for this line before it reads the file.
      console.error(`cpu profile written`);
    });
  });
}
