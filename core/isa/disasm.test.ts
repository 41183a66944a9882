import { describe, expect, it } from 'vitest';
import { loadCases, loadLinuxRuns, loadNegative } from '../../test/fixtures/isa/load';
import { bpftoolResolver, disasmProgram, formatInsn } from './disasm';
import { insnsFromHex } from './encoding';
import { insn } from './insn';

const bytes = new Map<string, string>();
for (const c of loadCases()) bytes.set(`bpf_conformance/${c.name}`, c.insns);
for (const n of loadNegative()) if (n.insns) bytes.set(`bpf_conformance/negative/${n.name}`, n.insns);

describe('disasm against Linux 6.18', () => {
  const runs = loadLinuxRuns().filter((r) => r.text);

  it(`reproduces the kernel's text of all ${runs.length} programs that have it`, () => {
    let lines = 0;
    const mismatches: string[] = [];
    for (const r of runs) {
      const got = new Map(
        disasmProgram(insnsFromHex(bytes.get(`${r.suite}/${r.name}`)!)).map((l) => [l.split(':')[0], l]),
      );
      // The log lists instructions as the verifier reached them (it may skip some): match by index.
      for (const want of r.text!) {
        lines++;
        const line = got.get(want.split(':')[0]!);
        if (line !== want) mismatches.push(`${r.name}: ${line} != ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(runs.length).toBe(353);
    expect(lines).toBe(2666);
  });
});

describe('formatInsn', () => {
  const one = (i: ReturnType<typeof insn>, next?: ReturnType<typeof insn>) =>
    formatInsn(next ? [i, next] : [i], 0);

  it('prints the kernel-internal and v4 forms', () => {
    expect(one(insn(0xe5, 0, 0, 3, 0))).toBe('(e5) may_goto pc+3');
    expect(one(insn(0x06, 0, 0, 0, -7))).toBe('(06) gotol pc-7');
    expect(one(insn(0xbf, 1, 2, 1, 1))).toBe('(bf) r1 = addr_space_cast(r2, 0, 1)');
    expect(one(insn(0xbf, 1, 2, 1, 1 << 16))).toBe('(bf) r1 = addr_space_cast(r2, 1, 0)');
    expect(one(insn(0xc2, 0, 0, 0, 0))).toBe('(c2) nospec');
    expect(one(insn(0xdb, 10, 0, -8, 0xf1))).toBe('(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r0)');
    expect(one(insn(0xc3, 10, 3, -4, 0xe1))).toBe('(c3) r3 = atomic_xchg((u32 *)(r10 -4), r3)');
    expect(one(insn(0xdb, 10, 1, 0, 0xa0))).toBe('(db) lock *(u64 *)(r10 +0) ^= r1');
    expect(one(insn(0xd3, 0, 1, 4, 0x100))).toBe('(d3) r0 = load_acquire((u8 *)(r1 +4))');
    expect(one(insn(0xdb, 1, 2, 0, 0x110))).toBe('(db) store_release((u64 *)(r1 +0), r2)');
    expect(one(insn(0x30, 0, 0, 0, 12))).toBe('(30) r0 = *(u8 *)skb[12]');
    expect(one(insn(0x48, 0, 7, 0, -2))).toBe('(48) r0 = *(u16 *)skb[r7 + -2]');
    expect(one(insn(0x85, 0, 0, 0, 1))).toBe('(85) call bpf_map_lookup_elem#1');
    expect(one(insn(0x85, 0, 0, 0, 211))).toBe('(85) call bpf_cgrp_storage_delete#211');
    expect(one(insn(0x85, 0, 0, 0, 22592))).toBe('(85) call unknown#22592');
    expect(one(insn(0x85, 0, 1, 0, -12))).toBe('(85) call pc-12');
    expect(one(insn(0x85, 0, 2, 0, 4242))).toBe('(85) call kernel-function#4242');
  });

  it('asks the resolver for call names and immediates', () => {
    const resolver = {
      callName: (i: { imm: number; src: number }) =>
        i.src === 2 ? 'bpf_rcu_read_lock' : i.imm === 22592 ? 'bpf_user_rnd_u32' : undefined,
      ...bpftoolResolver,
    };
    expect(formatInsn([insn(0x85, 0, 0, 0, 22592)], 0, resolver)).toBe('(85) call bpf_user_rnd_u32#22592');
    expect(formatInsn([insn(0x85, 0, 2, 0, 77)], 0, resolver)).toBe('(85) call bpf_rcu_read_lock#77');
    // a known helper id is never overridden
    expect(formatInsn([insn(0x85, 0, 0, 0, 5)], 0, resolver)).toBe('(85) call bpf_ktime_get_ns#5');
    const ld = (src: number, lo: number, hi: number) => [insn(0x18, 1, src, 0, lo), insn(0, 0, 0, 0, hi)];
    expect(formatInsn(ld(1, 7, 0), 0, resolver)).toBe('(18) r1 = map[id:7]');
    expect(formatInsn(ld(2, 7, 16), 0, resolver)).toBe('(18) r1 = map[id:7][0]+16');
    expect(formatInsn(ld(6, 2, 8), 0, resolver)).toBe('(18) r1 = map[idx:2]+8');
    expect(formatInsn(ld(4, 5, 0), 0, resolver)).toBe('(18) r1 = subprog[+5]');
    expect(formatInsn(ld(0, -1, -1), 0)).toBe('(18) r1 = 0xffffffffffffffff');
    expect(formatInsn(ld(1, 7, 0), 0, { allowPtrLeaks: false })).toBe('(18) r1 = 0x0');
  });

  it('numbers ld_imm64 as two slots', () => {
    const p = [insn(0x18, 1, 0, 0, 1), insn(0, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)];
    expect(disasmProgram(p)).toEqual(['0: (18) r1 = 0x1', '2: (95) exit']);
  });
});
