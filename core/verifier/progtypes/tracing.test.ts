import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import { BPF_EXIT_INSN, BPF_LDX_MEM, BPF_MOV64_IMM, BPF_RAW_INSN, BPF_ST_MEM } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import { BPF_B, BPF_DW, BPF_H, BPF_W } from '../../isa/opcodes';
import { bpfCheck, type LoadAttr } from '../index';
import { kernelLayout } from './layout';
import {
  kprobeIsValidAccess,
  rawTracepointIsValidAccess,
  syscallIsValidAccess,
  tracepointIsValidAccess,
} from './tracing';

const root = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const layout = kernelLayout(btf);
const call = (id: number): Insn => BPF_RAW_INSN(0x85, 0, 0, 0, id);
const load = (progType: LoadAttr['progType'], insns: Insn[], more: Partial<LoadAttr> = {}) =>
  bpfCheck({ insns, progType, ...more }, { btf });

describe('tracing ctx access', () => {
  it('kprobe reads struct pt_regs at any aligned size, never writes, never past its end', () => {
    const size = layout.structSize('pt_regs');
    expect(size).toBe(168);
    for (const s of [1, 2, 4, 8]) expect(kprobeIsValidAccess(layout, 160, s, 'read')).toBeDefined();
    expect(kprobeIsValidAccess(layout, 164, 8, 'read')).toBeUndefined();
    expect(kprobeIsValidAccess(layout, size, 1, 'read')).toBeUndefined();
    expect(kprobeIsValidAccess(layout, -8, 8, 'read')).toBeUndefined();
    expect(kprobeIsValidAccess(layout, 0, 8, 'write')).toBeUndefined();
  });

  it('tracepoint skips the common header but lets a negative offset through (unsigned compare)', () => {
    expect(tracepointIsValidAccess(0, 8, 'read')).toBeUndefined();
    expect(tracepointIsValidAccess(4, 4, 'read')).toBeUndefined();
    expect(tracepointIsValidAccess(8, 8, 'read')).toBeDefined();
    expect(tracepointIsValidAccess(-8, 8, 'read')).toBeDefined();
    expect(tracepointIsValidAccess(8184, 8, 'read')).toBeDefined();
    expect(tracepointIsValidAccess(8192, 1, 'read')).toBeUndefined();
    expect(tracepointIsValidAccess(12, 8, 'read')).toBeUndefined();
    expect(tracepointIsValidAccess(8, 8, 'write')).toBeUndefined();
  });

  it('raw_tracepoint reads its 12 u64 arguments', () => {
    expect(rawTracepointIsValidAccess(88, 8, 'read')).toBeDefined();
    expect(rawTracepointIsValidAccess(96, 1, 'read')).toBeUndefined();
    expect(rawTracepointIsValidAccess(0, 8, 'write')).toBeUndefined();
  });

  it('syscall reads and writes its ctx at any aligned offset ≥ 0', () => {
    expect(syscallIsValidAccess(32760, 8)).toBeDefined();
    expect(syscallIsValidAccess(-8, 8)).toBeUndefined();
    expect(syscallIsValidAccess(2, 4)).toBeUndefined();
  });
});

describe('tracing program loads', () => {
  it('keeps ctx loads as they are (no convert_ctx_access)', () => {
    const insns = [BPF_LDX_MEM(BPF_H, 0, 1, 18), BPF_EXIT_INSN()];
    const r = load('kprobe', insns);
    expect(r.verdict).toBe('accept');
    expect(r.xlated).toEqual(insns);
  });

  it('rejects a ctx write with the kernel line', () => {
    const r = load('raw_tracepoint', [BPF_ST_MEM(BPF_DW, 1, 0, 1), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]);
    expect(r.error).toBe('invalid bpf_context access off=0 size=8');
  });

  it('gives each type its own helpers', () => {
    const probeRead = [BPF_MOV64_IMM(0, 0), call(173), BPF_EXIT_INSN()];
    expect(load('kprobe', probeRead).verdict).toBe('accept');
    const tp = load('tracepoint', probeRead);
    expect([tp.errno, tp.error]).toEqual([524, 'func bpf_get_func_ip#173 not supported for program type 5']);
    expect(load('raw_tracepoint', probeRead).error).toBe(
      'func bpf_get_func_ip#173 not supported for program type 17',
    );
    const sysBpf = [
      BPF_MOV64_IMM(1, 0),
      BPF_MOV64_IMM(2, 0),
      BPF_MOV64_IMM(3, 0),
      call(166),
      BPF_EXIT_INSN(),
    ];
    expect(load('kprobe', sysBpf).error).toBe('program of this type cannot use helper bpf_sys_bpf#166');
    expect(load('syscall', sysBpf, { sleepable: true }).error).toBe(
      'R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_',
    );
  });

  it('lets only sleepable programs call a helper that may sleep', () => {
    const copy = [
      BPF_RAW_INSN(0xbf, 1, 10, 0, 0),
      BPF_RAW_INSN(0x07, 1, 0, 0, -8),
      BPF_MOV64_IMM(2, 8),
      BPF_MOV64_IMM(3, 0),
      call(148),
      BPF_EXIT_INSN(),
    ];
    expect(load('syscall', copy, { sleepable: true }).verdict).toBe('accept');
    expect(load('kprobe', copy).error).toBe('helper call might sleep in a non-sleepable prog');
    expect(load('kprobe', copy, { sleepable: true }).verdict).toBe('accept');
  });

  it('follows check_attach_btf_id on BPF_F_SLEEPABLE', () => {
    const ret0 = [BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()];
    expect(load('syscall', ret0).error).toBe('Syscall programs can only be sleepable');
    for (const t of ['tracepoint', 'raw_tracepoint', 'cgroup_skb'] as const)
      expect(load(t, ret0, { sleepable: true }).error).toBe(
        'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable',
      );
    expect(load('kprobe', ret0, { sleepable: true }).verdict).toBe('accept');
  });

  it('has no return range for these types', () => {
    for (const t of ['kprobe', 'tracepoint', 'raw_tracepoint'] as const)
      expect(load(t, [BPF_MOV64_IMM(0, 7), BPF_EXIT_INSN()]).verdict).toBe('accept');
  });

  it('reads a 32-bit field of the tracepoint record', () => {
    expect(load('tracepoint', [BPF_LDX_MEM(BPF_W, 0, 1, 8), BPF_EXIT_INSN()]).verdict).toBe('accept');
    expect(load('tracepoint', [BPF_LDX_MEM(BPF_B, 0, 1, 7), BPF_EXIT_INSN()]).error).toBe(
      'invalid bpf_context access off=7 size=1',
    );
  });
});
