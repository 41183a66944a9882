// Malformed objects: each fails with one line naming where and why.
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { ElfFile } from './elf-file';
import { ObjectError } from './error';
import { loadBpfObject } from './object';

const target = referenceBtf();
const fail = (bytes: Uint8Array) => {
  try {
    loadBpfObject(bytes, { target });
  } catch (e) {
    expect(e).toBeInstanceOf(ObjectError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('loaded');
};

/** Byte offset of section `index`'s header. */
function shdr(bytes: Uint8Array, index: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return Number(v.getBigUint64(0x28, true)) + index * 64;
}

describe('malformed objects', () => {
  it('names a truncated file or a non-BPF ELF', () => {
    const obj = objectBytes('build/xdp_dispatch.bpf.o');
    expect(fail(obj.subarray(0, 40))).toMatch(/^ELF: truncated ELF header/);
    const x86 = obj.slice();
    x86[0x12] = 62; // EM_X86_64
    expect(fail(x86)).toBe('ELF: machine 62 is not BPF (247)');
  });

  it('refuses legacy `maps` sections as libbpf v1 does', () => {
    const obj = objectBytes('build/xdp_dispatch.bpf.o').slice();
    const maps = new ElfFile(obj).section('.maps')!;
    const v = new DataView(obj.buffer);
    const h = shdr(obj, maps.index);
    v.setUint32(h, v.getUint32(h, true) + 1, true); // ".maps" → "maps"
    expect(fail(obj)).toMatch(/^section 'maps': legacy map definitions are not supported by libbpf v1\.0\+/);
  });

  it('names the relocation section and entry whose symbol is out of range', () => {
    const obj = objectBytes('build/xdp_dispatch.bpf.o').slice();
    const rel = new ElfFile(obj).section('.relxdp')!;
    new DataView(obj.buffer).setUint32(rel.offset + 12, 9999, true); // r_info's symbol
    expect(fail(obj)).toMatch(/^section '\.relxdp': relocation #0 refers to symbol 9999 of \d+$/);
  });

  it('names the program and instruction a relocation does not fit', () => {
    const obj = objectBytes('build/xdp_dispatch.bpf.o').slice();
    const rel = new ElfFile(obj).section('.relxdp')!;
    const v = new DataView(obj.buffer);
    v.setBigUint64(rel.offset, 8n, true); // r_offset: onto insn #1, not the ld_imm64
    expect(fail(obj)).toMatch(
      /^section '\.relxdp': relocation #0 against 'handlers': insn #1 \(code 0x\w+\) is neither a call nor ld_imm64$/,
    );
  });

  it('names the struct_ops relocation that points between members', () => {
    const obj = objectBytes('build/cc_reno.bpf.o').slice();
    const rel = new ElfFile(obj).section('.rel.struct_ops')!;
    new DataView(obj.buffer).setBigUint64(rel.offset, 4n, true);
    expect(fail(obj)).toMatch(
      /^section '\.rel\.struct_ops': relocation #0 against '\w+': no member of tcp_congestion_ops at offset 4$/,
    );
  });

  it('names the CO-RE relocation whose instruction does not hold the expected value', () => {
    const obj = objectBytes('build/cc_aimd.bpf.o').slice();
    const elf = new ElfFile(obj);
    const init = elf.section('struct_ops/aimd_init')!;
    // aimd_init's store to tp->snd_ssthresh: insn #2, off 0x5d4 → 0x10
    new DataView(obj.buffer).setInt16(init.offset + 2 * 8 + 2, 0x10, true);
    expect(fail(obj)).toMatch(
      /^program 'aimd_init': CO-RE relocation #\d+ \(field_byte_offset \[\d+\] 0:\d+\) at insn #2: insn #2 \(LDX\/ST\/STX\) has off 16, expected 1492$/,
    );
  });
});
