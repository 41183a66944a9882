import { describe, expect, it } from 'vitest';
import { libbpfInsns, objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { findMember } from '../btf/layout';
import { encodeInsns } from '../isa/encoding';
import type { Insn } from '../isa/insn';
import { CORE_POISON_IMM } from './core-relo';
import { kernelVersionOf } from './externs';
import { loadBpfObject } from './object';
import type { BpfObject } from './types';

const target = referenceBtf();
const load = (rel: string): BpfObject =>
  loadBpfObject(objectBytes(rel), { target, kconfig: { kernelVersion: kernelVersionOf('6.18.44') } });
const prog = (obj: BpfObject, name: string) => obj.loaded.find((p) => p.name === name)!;
const offsetOf = (struct: string, member: string) =>
  findMember(target, target.findByName(struct, 'STRUCT')!, member)!;
/** imm of every `rX = K` (BPF_ALU64 | BPF_MOV | BPF_K). */
const movImms = (insns: Insn[]) => insns.filter((i) => i.code === 0xb7).map((i) => i.imm);

describe('the loader against libbpf 1.1', () => {
  it('hands BPF_PROG_LOAD the same instructions and maps as libbpf for every little-endian fixture', () => {
    const want = libbpfInsns();
    expect(want.length).toBe(65);
    const objs = new Map<string, BpfObject>();
    for (const w of want) {
      if (!objs.has(w.object)) objs.set(w.object, load(w.object));
      const p = prog(objs.get(w.object)!, w.name);
      expect(p, `${w.object} ${w.name}`).toBeDefined();
      expect(Buffer.from(encodeInsns(p.insns, 'le')).toString('hex'), `${w.object} ${w.name}`).toBe(w.insns);
      // libbpf names internal maps <object>.<section>: ours are named by section.
      expect(p.maps.length).toBe(w.maps.length);
      for (const [i, m] of p.maps.entries())
        expect(w.maps[i]!.endsWith(m.name), `${w.name} map ${i}`).toBe(true);
    }
  });
});

describe('CO-RE against the reference vmlinux', () => {
  const obj = load('own/build/core_reloc.bpf.o');

  it('moves field offsets to where vmlinux has them (ALU and loads) and answers size/exists/signed', () => {
    const fields = prog(obj, 'core_fields').insns;
    const len = offsetOf('sk_buff', 'len');
    const mark = offsetOf('sk_buff', 'mark');
    // r1 = offsetof(len) before the probe read; the field_* answers in source order.
    expect(movImms(fields)).toEqual([len.offset, 4, 1, 0, 0, 1, mark.offset]);
    const direct = prog(obj, 'core_direct').insns;
    expect(direct.filter((i) => i.code === 0x79 || i.code === 0x61).map((i) => i.off)).toEqual([
      offsetOf('sk_buff', 'dev').offset,
      offsetOf('net_device', 'ifindex').offset,
    ]);
  });

  it('computes bitfield byte offset and shifts for each byte order', () => {
    const pkt = offsetOf('sk_buff', 'pkt_type');
    const byte = Math.floor(pkt.bitOffset / 8);
    const lsh = (insns: Insn[]) => insns.find((i) => i.code === 0x67)!.imm;
    const le = prog(obj, 'core_bitfield').insns;
    expect(movImms(le)).toContain(byte);
    expect(lsh(le)).toBe(64 - (pkt.bitOffset + 3 - byte * 8));
    const be = prog(load('own/build/core_reloc.bpfeb.o'), 'core_bitfield').insns;
    expect(movImms(be)).toContain(byte);
    expect(lsh(be)).toBe((8 - 1) * 8 + (pkt.bitOffset - byte * 8));
  });

  it('answers type existence, size and kernel id, and enum values from vmlinux', () => {
    const skb = target.findByName('sk_buff', 'STRUCT')!;
    const types = prog(obj, 'core_types').insns;
    // exists(not_a_kernel_type) = 0, exists(sk_buff) = 1, size(sk_buff) in the order clang emitted them
    expect(movImms(types)).toEqual([0, 1, target.typeOfKind(skb, 'STRUCT').size]);
    // the kernel type id comes as an ld_imm64
    expect(types.find((i) => i.code === 0x18)!.imm).toBe(skb);
    const enums = prog(obj, 'core_enums').insns;
    const ldImm = enums.filter((i, k) => i.code === 0x18 && enums[k - 1]?.code !== 0x18).map((i) => i.imm);
    const arrayType = target
      .typeOfKind(target.findByName('bpf_map_type', 'ENUM')!, 'ENUM')
      .values.find((v) => v.name === 'BPF_MAP_TYPE_ARRAY')!.value;
    expect(arrayType).toBe(2);
    // exists(ARRAY) = 1, exists(NOT_IN_KERNEL) = 0, value(ARRAY) = 2, value(HASH) = 1
    expect(ldImm).toEqual([1, 0, 2, 1]);
  });

  it('poisons the access to a field the kernel does not have, as libbpf does', () => {
    const insns = prog(obj, 'core_missing').insns;
    expect(insns.some((i) => i.code === 0x85 && i.src === 0 && i.imm === CORE_POISON_IMM)).toBe(true);
  });
});

describe('big-endian objects', () => {
  it('load to the same programs and maps as their little-endian builds (code clang emits alike)', () => {
    for (const name of ['core_reloc', 'global_data', 'cc_link']) {
      const le = load(`own/build/${name}.bpf.o`);
      const be = load(`own/build/${name}.bpfeb.o`);
      expect(be.littleEndian).toBe(false);
      for (const p of le.loaded) {
        if (p.name === 'core_bitfield') continue; // clang reads a bitfield differently per byte order
        const q = prog(be, p.name);
        expect(q.insns, `${name} ${p.name}`).toEqual(p.insns);
        expect(q.maps.map((m) => m.name)).toEqual(p.maps.map((m) => m.name));
      }
    }
  });
});

describe('maps, externs and struct_ops of the own fixtures', () => {
  it('reads global data, kconfig, inner maps and values initialisation', () => {
    for (const rel of ['own/build/global_data.bpf.o', 'own/build/global_data.bpfeb.o']) {
      const obj = load(rel);
      const le = obj.littleEndian;
      const byName = new Map(obj.maps.map((m) => [m.name, m]));
      const u32 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset).getUint32(off, le);
      expect(u32(byName.get('.rodata')!.data!)).toBe(7);
      expect(byName.get('.rodata')!.flags).toBe(0x480); // BPF_F_RDONLY_PROG | BPF_F_MMAPABLE
      expect(u32(byName.get('.data')!.data!, le ? 0 : 4)).toBe(3);
      expect(byName.get('.bss')!.data!.every((b) => b === 0)).toBe(true);
      const outer = byName.get('outer')!;
      expect(outer.type).toBe('array_of_maps');
      expect(outer.inner).toMatchObject({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 2 });
      expect(outer.init).toEqual([
        { slot: 0, target: 'inner_a' },
        { slot: 3, target: 'inner_b' },
      ]);
      expect(byName.get('jumps')!.init).toEqual([{ slot: 1, target: 'tail_target' }]);
      const kconfig = byName.get('.kconfig')!;
      const kv = obj.externs.find((e) => e.name === 'LINUX_KERNEL_VERSION')!;
      expect(u32(kconfig.data!, kv.kconfigOffset)).toBe((6 << 16) | (18 << 8) | 44);
      const weak = obj.externs.find((e) => e.name === 'bpf_kmodel_missing_kfunc')!;
      expect(weak).toMatchObject({ kind: 'kfunc', weak: true });
      expect(weak.targetBtfId).toBeUndefined();
      const p = prog(obj, 'data_user');
      // The unresolved __weak kfunc is a kfunc call with imm 0.
      expect(p.insns.some((i) => i.code === 0x85 && i.src === 2 && i.imm === 0)).toBe(true);
      // bpf_loop's callback is an ld_imm64 BPF_PSEUDO_FUNC to an appended subprogram.
      const cb = p.insns.findIndex((i) => i.code === 0x18 && i.src === 4);
      expect(cb).toBeGreaterThan(0);
      expect(p.funcInfo.map((f) => f.insnOff)).toContain(cb + p.insns[cb]!.imm + 1);
    }
  });

  it('resolves typed __ksym variables to vmlinux VAR ids as BPF_PSEUDO_BTF_ID; a missing __weak one reads 0', () => {
    const obj = load('own/build/calls.bpf.o');
    const rq = obj.externs.find((e) => e.name === 'runqueues')!;
    expect(rq).toMatchObject({ kind: 'ksym', targetBtfId: target.findByName('runqueues', 'VAR') });
    const p = prog(obj, 'calls_b');
    const ld = p.insns.find((i) => i.code === 0x18 && i.src === 3)!;
    expect(ld.imm).toBe(rq.targetBtfId);
    expect(obj.externs.find((e) => e.name === 'kmodel_no_such_var')!.targetBtfId).toBeUndefined();
  });

  it('binds a .struct_ops.link map by member name with BPF_F_LINK and data members', () => {
    const obj = load('own/build/cc_link.bpf.o');
    const m = obj.maps[0]!;
    expect(m.flags).toBe(0x2000);
    expect(m.structOps!.link).toBe(true);
    const ops = target.typeOfKind(m.structOps!.btfId, 'STRUCT');
    const index = (n: string) => ops.members.findIndex((x) => x.name === n);
    for (const [member, program] of [
      ['ssthresh', 'link_ssthresh'],
      ['cong_avoid', 'link_cong_avoid'],
      ['undo_cwnd', 'link_undo_cwnd'],
    ]) {
      expect(prog(obj, program!).attach).toEqual({
        struct: 'tcp_congestion_ops',
        member,
        btfId: m.structOps!.btfId,
        memberIndex: index(member!),
      });
    }
    expect(m.structOps!.members.find((x) => x.member === 'flags')!.value).toEqual(
      new Uint8Array([1, 0, 0, 0]),
    );
  });
});
