// Node-side BTF loading: the running kernel's BTF, the bundled reference
// kernel (6.18; the corpus's BTF ids refer to it) and arbitrary files.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type Btf, parseBtf, parseBtfOrElf } from '../../core/btf/index';
import { INPUT_LIMITS, InputFileError, readInputFile } from './input-file';

export const SYS_VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** Finds assets/vmlinux.btf.gz from the source tree or a bundle (out/cli, out/main). */
export function referenceVmlinuxBtfPath(): string {
  const env = process.env.KMODEL_ASSETS;
  const candidates: string[] = [];
  if (env) candidates.push(join(env, 'vmlinux.btf.gz'));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    candidates.push(join(dir, 'assets', 'vmlinux.btf.gz'));
    dir = dirname(dir);
  }
  candidates.push(resolve(process.cwd(), 'assets', 'vmlinux.btf.gz'));
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new Error(`bundled reference BTF not found (looked in ${candidates.join(', ')})`);
  return hit;
}

let referenceBytes: Uint8Array | undefined;

/** Raw bytes of the bundled reference vmlinux BTF (gunzipped once and cached). */
export function referenceVmlinuxBtfBytes(): Uint8Array {
  if (!referenceBytes) referenceBytes = gunzipWhole(readFileSync(referenceVmlinuxBtfPath()));
  return referenceBytes;
}

/**
 * A trusted .gz's content in one buffer: zlib writes into a single chunk the size the gzip trailer
 * gives (ISIZE), which is then the result as is. Decompressing in default 16 KiB chunks, joining
 * them and copying the join into a Uint8Array held three copies of the 5 MiB vmlinux BTF at once
 * (the CLI's peak RSS). A wrong ISIZE (several members) only costs the join again.
 */
function gunzipWhole(gz: Buffer): Uint8Array {
  const size = gz.length >= 4 ? gz.readUInt32LE(gz.length - 4) : 0;
  const out = gunzipSync(gz, { chunkSize: Math.max(64 * 1024, size + 1) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The bundled reference kernel's BTF. Tests and corpus checks must use this one. */
export async function loadReferenceVmlinuxBtf(): Promise<Btf> {
  return parseBtf(referenceVmlinuxBtfBytes(), { name: 'vmlinux' });
}

export function loadReferenceVmlinuxBtfSync(): Btf {
  return parseBtf(referenceVmlinuxBtfBytes(), { name: 'vmlinux' });
}

/** Where loadVmlinuxBtf() would read from. */
export function vmlinuxBtfSource(): string {
  try {
    accessSync(SYS_VMLINUX_BTF, constants.R_OK);
    return SYS_VMLINUX_BTF;
  } catch {
    return referenceVmlinuxBtfPath();
  }
}

/** The running kernel's BTF when readable, else the bundled reference kernel's. */
export async function loadVmlinuxBtf(): Promise<Btf> {
  const src = vmlinuxBtfSource();
  if (src === SYS_VMLINUX_BTF) {
    try {
      return parseBtf(readInputFile(src, 'btf'), { name: 'vmlinux' });
    } catch {
      // Unreadable in practice (permissions, sandbox): fall back to the reference kernel.
    }
  }
  return loadReferenceVmlinuxBtf();
}

/** Reads raw BTF, gzip'ed raw BTF or an ELF object with .BTF; `base` for split BTF. */
export function loadBtfFileSync(path: string, base?: Btf): Btf {
  let bytes = readInputFile(path, 'btf');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes, { maxOutputLength: INPUT_LIMITS.btf }));
    } catch (e) {
      const tooLarge = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new InputFileError(path, tooLarge ? 'gunzips to more than the btf file limit' : 'bad gzip data');
    }
  }
  return parseBtfOrElf(bytes, { base, name: path });
}

export async function loadBtfFile(path: string, base?: Btf): Promise<Btf> {
  return loadBtfFileSync(path, base);
}
