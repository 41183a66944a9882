import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck } from './index';

const root = join(__dirname, '../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const verify = (src: string) => bpfCheck({ insns: assemble(src), progType: 'xdp', logLevel: 2 }, { btf });

describe('sign-extending move of a pointer (root load: allow_ptr_leaks)', () => {
  it('gives an unknown scalar, not a reject', () => {
    const r = verify(`r2 = *(u32 *)(r1 +12)
r2 &= 7
r1 = r10
r1 += -16
r1 += r2
r3 = (s32)r1
r4 = (s16)r10
r0 = r3
r0 &= 1
exit`);
    expect(r.error).toBeNull();
    expect(r.log).toMatch(/5: \(bf\) r3 = \(s32\)r1 +; R1=fp\(off=-16,[^\n]* R3=scalar\(\)\n/);
    expect(r.log).toMatch(/6: \(bf\) r4 = \(s16\)r10 +; R4=scalar\(\) R10=fp0\n/);
  });
});

// What the level-2 log prints for one insn's destination register.
const stateAfter = (log: string, insn: number, reg: number): string | undefined =>
  new RegExp(`^${insn}: \\([0-9a-f]{2}\\) [^;\\n]*; .*?\\bR${reg}=(\\S+)`, 'm').exec(log)?.[1];
const prologue = 'r2 = *(u32 *)(r1 +12)\nr2 &= 255\n'; // insn 0-1: r2 in [0, 255]

describe('scalar ids and bounds as 6.18 keeps them', () => {
  it('a 32-bit add or sub of a constant links the result to its copy (BPF_ADD_CONST32)', () => {
    const r = verify(`${prologue}r3 = r2\nw3 += 15\nr4 = r2\nw4 -= 3\nr0 = 0\nexit`);
    expect(stateAfter(r.log, 3, 3)).toMatch(/^scalar\(id=1\+15,/);
    expect(stateAfter(r.log, 5, 4)).toMatch(/^scalar\(id=1-3,/);
  });

  it('a branch on the copy refines the linked register by the link', () => {
    // learning r2 >= 3 makes r3 = r2 - 3 in [0, 252] (it wrapped below 0 before).
    const r = verify(`${prologue}r3 = r2\nw3 -= 3\nif r2 < 3 goto pc+1\nr0 = r3\nr0 = 0\nexit`);
    // (r0 = r3 gives both a new id: a linked register is not copied with its link.)
    expect(stateAfter(r.log, 5, 0)).toBe(
      'scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=252,var_off=(0x0;',
    );
  });

  it('negation drops the id; to_le64 keeps it; to_le32 keeps the bounds that fit', () => {
    const r = verify(
      `${prologue}r3 = r2\nr3 = -r3\nr4 = r2\nr4 = le64 r4\nr5 = r2\nr5 = le32 r5\nr0 = 0\nexit`,
    );
    expect(stateAfter(r.log, 3, 3)).not.toMatch(/id=/);
    expect(stateAfter(r.log, 5, 4)).toMatch(/^scalar\(id=1,/);
    expect(stateAfter(r.log, 7, 5)).toBe('scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0;');
  });

  it('(s16) of a 32-bit value that needs no sign extension keeps its range and id', () => {
    const r = verify(`${prologue}w3 = (s16)w2\nr0 = 0\nexit`);
    expect(stateAfter(r.log, 2, 3)).toBe(
      'scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0;',
    );
  });

  it('s>>= 56 of a 64-bit value: the s32 range joins the two halves across the sign', () => {
    const r = verify('r2 = *(u32 *)(r1 +12)\nr2 <<= 32\nr2 s>>= 56\nr0 = 0\nexit');
    expect(stateAfter(r.log, 2, 2)).toBe('scalar(smin=smin32=-128,smax=smax32=127)');
  });

  it('copying a linked register starts a new link (assign_scalar_id_before_mov)', () => {
    const r = verify(`${prologue}r3 = r2\nr3 += 7\nr4 = r3\nr0 = 0\nexit`);
    expect(stateAfter(r.log, 3, 3)).toMatch(/^scalar\(id=1\+7,/);
    expect(stateAfter(r.log, 4, 4)).toMatch(/^scalar\(id=2,/);
  });

  it('a 4-byte fill of a value that fits in 32 bits keeps its link to the spilled register', () => {
    const r = verify(`${prologue}*(u64 *)(r10 -8) = r2\nr3 = *(u32 *)(r10 -8)\nr0 = 0\nexit`);
    expect(stateAfter(r.log, 3, 3)).toMatch(/^scalar\(id=1,/);
  });
});
