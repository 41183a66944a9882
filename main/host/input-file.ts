// Reading a file the user named, with the limits every input has: only regular
// files and pipes (a device such as /dev/zero never ends), and a size cap per
// kind of input so a huge or endless file fails fast instead of exhausting memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MiB = 1 << 20;

/** Largest input accepted, by what the file holds. */
export const INPUT_LIMITS = {
  /** Raw BTF, gzip'ed BTF (after gunzip) or an ELF file with .BTF; a vmlinux with debug info fits. */
  btf: 1024 * MiB,
  /** A program as hex, raw bytes or assembly: 1M instructions as hex text are ~20 MiB. */
  program: 64 * MiB,
  /** A subsystem model (YAML). */
  model: 8 * MiB,
  /** Corpus cases (JSON lines). */
  corpus: 256 * MiB,
  /** /proc/kallsyms-style symbol lists. */
  kallsyms: 64 * MiB,
} as const;

export type InputKind = keyof typeof INPUT_LIMITS;

/** Why a named file cannot be read; `message` is one line: `PATH: why`. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

function fileTypeReason(stat: ReturnType<typeof fstatSync>): string | undefined {
  if (stat.isFile() || stat.isFIFO()) return undefined;
  if (stat.isDirectory()) return 'is a directory';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'is a device, not a regular file';
  return 'not a regular file';
}

const sizeText = (n: number) => (n >= MiB ? `${Math.round(n / MiB)} MiB` : `${n} bytes`);

/**
 * The whole file read straight into one Uint8Array (no Buffer copy); sizes
 * that lie, as in /sys and /proc, grow it. Throws InputFileError.
 */
export function readInputFile(path: string, kind: InputKind): Uint8Array {
  const limit = INPUT_LIMITS[kind];
  const tooLarge = () =>
    new InputFileError(path, `larger than the ${sizeText(limit)} limit for ${kind} files`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new InputFileError(path, ERRNO_REASONS[code] ?? `cannot open (${code || (e as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    const bad = fileTypeReason(stat);
    if (bad) throw new InputFileError(path, bad);
    if (stat.size > limit) throw tooLarge();
    // One byte more than the size, so the read that sees EOF does not have to grow the buffer first.
    let buf = new Uint8Array(Math.min(Math.max(stat.size + 1, 1 << 16), limit + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > limit) throw tooLarge();
        const g = new Uint8Array(Math.min(buf.length * 2, limit + 1));
        g.set(buf);
        buf = g;
      }
      let r: number;
      try {
        r = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        throw new InputFileError(
          path,
          ERRNO_REASONS[code] ?? `cannot read (${code || (e as Error).message})`,
        );
      }
      if (r === 0) break;
      n += r;
    }
    if (n > limit) throw tooLarge();
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The file as UTF-8 text; bytes that are not UTF-8 are an InputFileError rather than silent U+FFFD. */
export function readInputText(path: string, kind: InputKind): string {
  const bytes = readInputFile(path, kind);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputFileError(path, 'not UTF-8 text');
  }
}
