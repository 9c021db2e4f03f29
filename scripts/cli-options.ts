/** A command's standard streams, passed in so tests can read what it wrote. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * A script's options, or the exit code when there are none to run with: 0 after printing the help it was
 * asked for, 2 after a usage error (its message, then the help).
 */
export function readOptions<T>(
  parse: (argv: string[]) => T | 'help',
  argv: string[],
  help: string,
  io: Io,
): T | number {
  let options: T | 'help';
  try {
    options = parse(argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(`${help}\n`);
    return 0;
  }
  return options;
}
