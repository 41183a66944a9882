import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import {
  BPF_ALU64_IMM,
  BPF_EXIT_INSN,
  BPF_JMP_REG,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_ST_MEM,
  BPF_STX_MEM,
} from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import { BPF_ADD, BPF_B, BPF_DW, BPF_H, BPF_JGT, BPF_W } from '../../isa/opcodes';
import { bpfCheck } from '../index';
import { BPF_CGROUP_INET_EGRESS, cgSkbIsValidAccess } from './cgroup-skb';
import { kernelLayout } from './layout';

const root = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const layout = kernelLayout(btf);
const off = (f: string) => layout.off('__sk_buff', f);
const load = (insns: Insn[], expectedAttachType?: number) =>
  bpfCheck(
    { insns, progType: 'cgroup_skb', ...(expectedAttachType !== undefined ? { expectedAttachType } : {}) },
    { btf },
  );
const ret = (v: number) => [BPF_MOV64_IMM(0, v), BPF_EXIT_INSN()];

describe('cg_skb_is_valid_access', () => {
  it('reads packet pointers and socket fields, refuses the tc-only ones', () => {
    expect(cgSkbIsValidAccess(layout, off('data'), 4, 'read')?.regType).toBe('PTR_TO_PACKET');
    expect(cgSkbIsValidAccess(layout, off('data_end'), 4, 'read')?.regType).toBe('PTR_TO_PACKET_END');
    expect(cgSkbIsValidAccess(layout, off('remote_port'), 4, 'read')).toBeDefined();
    for (const f of ['tc_classid', 'data_meta', 'wire_len', 'flow_keys', 'tstamp_type'])
      expect(cgSkbIsValidAccess(layout, off(f), 4, 'read')).toBeUndefined();
  });

  it('writes mark, priority (4 bytes), cb[] and tstamp only', () => {
    expect(cgSkbIsValidAccess(layout, off('mark'), 4, 'write')).toBeDefined();
    expect(cgSkbIsValidAccess(layout, off('priority'), 4, 'write')).toBeDefined();
    expect(cgSkbIsValidAccess(layout, off('priority'), 2, 'write')).toBeUndefined();
    expect(cgSkbIsValidAccess(layout, off('cb') + 16, 4, 'write')).toBeDefined();
    expect(cgSkbIsValidAccess(layout, off('tstamp'), 8, 'write')).toBeDefined();
    expect(cgSkbIsValidAccess(layout, off('len'), 4, 'write')).toBeUndefined();
  });
});

describe('cgroup_skb loads', () => {
  it('ingress returns 0 or 1, egress 0..3', () => {
    expect(load(ret(1)).verdict).toBe('accept');
    expect(load(ret(2)).error).toBe(
      'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]',
    );
    expect(load(ret(3), BPF_CGROUP_INET_EGRESS).verdict).toBe('accept');
    expect(load(ret(4), BPF_CGROUP_INET_EGRESS).error).toBe(
      'At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]',
    );
    expect(load([BPF_LDX_MEM(BPF_W, 0, 1, off('len')), BPF_EXIT_INSN()]).error).toBe(
      'At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 1]',
    );
    expect(load([BPF_MOV64_REG(0, 10), BPF_EXIT_INSN()]).error).toBe(
      'At program exit the register R0 is not a known value (fp)',
    );
  });

  it('refuses another attach type before verifying (no log)', () => {
    const r = load(ret(1), 17);
    expect([r.verdict, r.errno, r.log, r.error]).toEqual(['reject', 22, '', null]);
  });

  it('reads the packet directly but may not write it', () => {
    const pkt = (last: Insn) => [
      BPF_LDX_MEM(BPF_W, 2, 1, off('data')),
      BPF_LDX_MEM(BPF_W, 3, 1, off('data_end')),
      BPF_MOV64_REG(4, 2),
      BPF_ALU64_IMM(BPF_ADD, 4, 1),
      BPF_JMP_REG(BPF_JGT, 4, 3, 1),
      last,
      ...ret(1),
    ];
    expect(load(pkt(BPF_LDX_MEM(BPF_B, 5, 2, 0))).verdict).toBe('accept');
    expect(load(pkt(BPF_ST_MEM(BPF_B, 2, 0, 0))).error).toBe('cannot write into packet');
  });

  it('rewrites socket fields through skb->sk (struct sock_common)', () => {
    const sk = layout.off('sk_buff', 'sk');
    const r = load([
      BPF_LDX_MEM(BPF_H, 0, 1, off('remote_port') + 2),
      BPF_ALU64_IMM(BPF_ADD, 0, 0),
      ...ret(1),
    ]);
    expect(r.verdict).toBe('accept');
    expect(r.xlated!.slice(0, 5)).toEqual([
      BPF_LDX_MEM(BPF_DW, 0, 1, sk),
      BPF_LDX_MEM(BPF_H, 0, 0, layout.off('sock_common', 'skc_dport')),
      { code: 0x64, dst: 0, src: 0, off: 0, imm: 16 }, // the port in the upper half
      { code: 0x74, dst: 0, src: 0, off: 0, imm: 16 }, // the narrow read's shift
      { code: 0x54, dst: 0, src: 0, off: 0, imm: 0xffff },
    ]);
    const w = load([BPF_MOV64_IMM(2, 5), BPF_STX_MEM(BPF_W, 1, 2, off('mark')), ...ret(0)]);
    expect(w.xlated![1]).toEqual(BPF_STX_MEM(BPF_W, 1, 2, layout.off('sk_buff', 'mark')));
  });
});
