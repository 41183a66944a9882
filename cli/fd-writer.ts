// Bytes straight to a file descriptor, for commands with big outputs (`kmodel
// btf dump` writes 12 MB): no JS string in between and no copy per chunk.
import { once } from 'node:events';
import { writeSync } from 'node:fs';

/**
 * Writes chunks to `fd` with write(2) while the fd blocks; if it turns out not
 * to (EAGAIN on a non-blocking pipe), the rest goes through the stream API,
 * copied, since the caller reuses its buffer. `done()` waits for that to drain.
 */
export function fdWriter(
  fd: number,
  stream: () => NodeJS.WritableStream = () => process.stdout,
): { write: (chunk: Uint8Array) => void; done: () => Promise<void> } {
  let s: NodeJS.WritableStream | undefined;
  let full = false;
  return {
    write(c) {
      let off = 0;
      while (!s && off < c.length) {
        try {
          off += writeSync(fd, c, off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          s = stream();
        }
      }
      if (s && off < c.length && !s.write(c.slice(off))) full = true;
    },
    async done() {
      if (s && full) await once(s, 'drain');
    },
  };
}
