// Minimal ELF section reader: enough to pull .BTF (and .BTF.ext, .BTF_ids)
// out of a BPF object file or a vmlinux/module image. ELF32 and ELF64, both byte orders.
import { BtfError } from './error';

export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
  addr: number;
  /** sh_flags, sh_link, sh_info, sh_entsize: what a BPF object loader needs (relocation targets, symbol strings). */
  flags: number;
  link: number;
  info: number;
  entsize: number;
  data: Uint8Array;
}

export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

const SHT_NOBITS = 8;

/** All sections of an ELF file. Throws BtfError on malformed headers. */
export function elfSections(bytes: Uint8Array): ElfSection[] {
  if (!isElf(bytes)) throw new BtfError(0, 'not an ELF file');
  if (bytes.length < 52) throw new BtfError(0, 'truncated ELF header');
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) throw new BtfError(4, `bad ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new BtfError(5, `bad ELF data encoding ${data}`);
  const is64 = cls === 2;
  const le = data === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (is64 && bytes.length < 64) throw new BtfError(0, 'truncated ELF64 header');
  const num = (off: number) => (is64 ? Number(v.getBigUint64(off, le)) : v.getUint32(off, le));
  const shoff = num(is64 ? 0x28 : 0x20);
  const shentsize = v.getUint16(is64 ? 0x3a : 0x2e, le);
  const shnum = v.getUint16(is64 ? 0x3c : 0x30, le);
  const shstrndx = v.getUint16(is64 ? 0x3e : 0x32, le);
  const minEnt = is64 ? 64 : 40;
  if (shnum === 0) return [];
  if (shentsize < minEnt) throw new BtfError(is64 ? 0x3a : 0x2e, `bad section header size ${shentsize}`);
  if (shoff + shnum * shentsize > bytes.length)
    throw new BtfError(is64 ? 0x28 : 0x20, 'section headers beyond the file');
  if (shstrndx >= shnum) throw new BtfError(is64 ? 0x3e : 0x32, `bad section name table index ${shstrndx}`);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const nameOff = v.getUint32(h, le);
    const type = v.getUint32(h + 4, le);
    const addr = is64 ? num(h + 0x10) : v.getUint32(h + 0x0c, le);
    const offset = is64 ? num(h + 0x18) : v.getUint32(h + 0x10, le);
    const size = is64 ? num(h + 0x20) : v.getUint32(h + 0x14, le);
    const flags = is64 ? num(h + 0x08) : v.getUint32(h + 0x08, le);
    const link = v.getUint32(is64 ? h + 0x28 : h + 0x18, le);
    const info = v.getUint32(is64 ? h + 0x2c : h + 0x1c, le);
    const entsize = is64 ? num(h + 0x38) : v.getUint32(h + 0x24, le);
    if (type !== SHT_NOBITS && type !== 0 && offset + size > bytes.length)
      throw new BtfError(h, `section ${i} (${offset}+${size}) runs past the file`);
    raw.push({ nameOff, type, addr, offset, size, flags, link, info, entsize });
  }
  const strtab = raw[shstrndx]!;
  // A NULL or NOBITS name table has no bytes in the file, so its size cannot bound the name scan.
  if (strtab.type === SHT_NOBITS || strtab.type === 0)
    throw new BtfError(
      is64 ? 0x3e : 0x32,
      `section name table ${shstrndx} has no data (type ${strtab.type})`,
    );
  const name = (off: number): string => {
    let e = strtab.offset + off;
    if (off >= strtab.size) throw new BtfError(strtab.offset, `section name offset ${off} out of range`);
    const s = e;
    const end = strtab.offset + strtab.size;
    while (e < end && bytes[e] !== 0) e++;
    return new TextDecoder().decode(bytes.subarray(s, e));
  };
  return raw.map((r) => ({
    name: name(r.nameOff),
    type: r.type,
    offset: r.offset,
    size: r.size,
    addr: r.addr,
    flags: r.flags,
    link: r.link,
    info: r.info,
    entsize: r.entsize,
    data:
      r.type === SHT_NOBITS || r.type === 0 ? new Uint8Array(0) : bytes.subarray(r.offset, r.offset + r.size),
  }));
}

export function elfSection(bytes: Uint8Array, name: string): ElfSection | undefined {
  return elfSections(bytes).find((s) => s.name === name);
}

/** The .BTF section's bytes; BtfError when there is none. */
export function elfBtf(bytes: Uint8Array): Uint8Array {
  const s = elfSection(bytes, '.BTF');
  if (!s) throw new BtfError(-1, 'ELF file has no .BTF section');
  return s.data;
}
