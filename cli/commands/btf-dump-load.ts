// File loading for `kmodel btf dump`: what btf-load.ts does (same formats, same
// one-line errors), minus its two costs on a 5.5 MB vmlinux: the async read in
// 512 KiB pieces and the Buffer → Uint8Array copy (~30 ms each on this machine).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { type Btf, parseBtfOrElf } from '../../core/btf/index';
import { CliError } from '../errors';

/** The whole file, read straight into one Uint8Array (sizes that lie, as in /sys, grow it). */
export function readFileBytes(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    // One byte more than the size, so the read that sees EOF does not have to grow the buffer first.
    let buf = new Uint8Array(Math.max(fstatSync(fd).size + 1, 1 << 16));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const g = new Uint8Array(buf.length * 2);
        g.set(buf);
        buf = g;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Raw BTF, gzip'ed raw BTF or an ELF object with .BTF (`base` for split BTF), errors as CliError. */
export function loadBtfForDump(path: string, base?: Btf): Btf {
  try {
    let bytes = readFileBytes(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(gunzipSync(bytes));
    return parseBtfOrElf(bytes, { base, name: path });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CliError(`${path}: no such file`);
    if (err.code === 'EACCES') throw new CliError(`${path}: permission denied`);
    if (err.code === 'EISDIR') throw new CliError(`${path}: is a directory`);
    throw new CliError(`${path}: ${err.message}`);
  }
}
