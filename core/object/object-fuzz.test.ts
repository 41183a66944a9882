// Seeded mutational fuzzing of the object loader: every mutated object either
// loads or fails with one ObjectError line — never another exception or a hang.
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { ElfFile } from './elf-file';
import { ObjectError } from './error';
import { loadBpfObject } from './object';

/** xorshift32: the same mutations on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const OBJECTS = [
  'build/tc_subprog.bpf.o',
  'build/xdp_dispatch.bpf.o',
  'build/sf_count_proto.bpf.o',
  'build/cc_aimd.bpf.o',
  'build/cc_reno.bpf.o',
  'own/build/global_data.bpf.o',
  'own/build/core_reloc.bpfeb.o',
  'own/build/cc_link.bpf.o',
];
const LOADER_SECTIONS =
  /^(\.text|\.maps|\.struct_ops.*|\.rel.*|license|\.BTF|\.BTF\.ext|\.symtab|\.strtab|\.data|\.rodata|\.bss|struct_ops\/.*|xdp|tc|socket|kprobe\/.*)$/;

/** Byte ranges the loader reads: the ELF header, section headers and the sections it uses. */
function regions(bytes: Uint8Array): [number, number][] {
  const elf = new ElfFile(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(v.getBigUint64(0x28, elf.littleEndian));
  const out: [number, number][] = [
    [0, 64],
    [shoff, shoff + elf.sections.length * 64],
  ];
  for (const s of elf.sections)
    if (LOADER_SECTIONS.test(s.name) && s.size) out.push([s.offset, s.offset + s.size]);
  return out;
}

function mutate(orig: Uint8Array, regs: [number, number][], r: () => number): Uint8Array {
  const b = orig.slice();
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const [lo, hi] = regs[Math.floor(r() * regs.length)]!;
    const at = lo + Math.floor(r() * (hi - lo));
    const how = r();
    if (how < 0.4) b[at] = Math.floor(r() * 256);
    else if (how < 0.6) b[at] ^= 1 << Math.floor(r() * 8);
    else if (how < 0.75) b.fill(0xff, at, Math.min(hi, at + 4));
    else if (how < 0.9) b.fill(0, at, Math.min(hi, at + 4));
    else return b.subarray(0, at); // truncated file
  }
  return b;
}

describe('object loader fuzz', () => {
  it('turns 4000 seeded mutations into a load or a one-line ObjectError', () => {
    const target = referenceBtf();
    const counts = { loaded: 0, rejected: 0 };
    const reasons = new Map<string, number>();
    const r = rng(0x5eed14);
    for (const name of OBJECTS) {
      const orig = objectBytes(name);
      const regs = regions(orig);
      for (let i = 0; i < 500; i++) {
        const bytes = mutate(orig, regs, r);
        try {
          loadBpfObject(bytes, { target });
          counts.loaded++;
        } catch (e) {
          if (!(e instanceof ObjectError)) throw new Error(`${name} mutation #${i}: ${(e as Error).stack}`);
          expect(e.message).not.toContain('\n');
          counts.rejected++;
          const key = e.message
            .replace(/\d+/g, 'N')
            .replace(/'[^']*'/g, "'…'")
            .slice(0, 60);
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
      }
    }
    console.log(`object fuzz: ${JSON.stringify(counts)}, ${reasons.size} distinct errors`);
    expect(counts.loaded + counts.rejected).toBe(4000);
    // Both outcomes occur: the mutations reach the loader's checks and also leave loadable objects.
    expect(counts.rejected).toBeGreaterThan(300);
    expect(counts.loaded).toBeGreaterThan(100);
  }, 300_000);
});
