import { open, rename, rm } from 'node:fs/promises';

/** The name an archive is written under until it is complete. */
export const partialOf = (file: string): string => `${file}.partial`;

/**
 * Writes the archive through `write(partial)`, flushes it to disk, then renames it into place: a crash or a
 * failed tool never leaves a truncated archive under the final name.
 */
export async function writeAtomically(file: string, write: (partial: string) => Promise<void>): Promise<void> {
  const partial = partialOf(file);
  try {
    await write(partial);
    const handle = await open(partial, 'r+');
    await handle.sync();
    await handle.close();
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
