import { describe, expect, it } from 'vitest';
import { clangCases, objectBytes, objectIndex, referenceBtf } from '../../test/fixtures/objects/load';
import { encodeInsns } from '../isa/encoding';
import { ObjectError } from './error';
import { loadBpfObject } from './object';

const target = referenceBtf();
const load = (rel: string) => loadBpfObject(objectBytes(rel), { target });

describe('loadBpfObject on the corpus objects', () => {
  const index = objectIndex();
  const cases = clangCases();

  it('prepares every indexed program with the type libbpf infers from its section', () => {
    expect(index).toHaveLength(52);
    for (const e of index) {
      const p = load(e.object).loaded.find((x) => x.name === e.program);
      expect(p, e.program).toBeDefined();
      expect(p!.section).toBe(e.section);
      expect(p!.progType).toBe(e.prog_type);
    }
  });

  it("reproduces each public case's insns byte for byte, its maps and its struct_ops attach", () => {
    const checked = index.filter((e) => e.corpus_id && cases.has(e.corpus_id));
    // Every public clang case of the corpus comes from one of these programs.
    expect(checked).toHaveLength(cases.size);
    expect(checked.length).toBeGreaterThanOrEqual(40);
    for (const e of checked) {
      const c = cases.get(e.corpus_id!)!;
      const p = load(e.object).loaded.find((x) => x.name === e.program)!;
      expect(Buffer.from(encodeInsns(p.insns, 'le')).toString('hex'), e.program).toBe(c.insns);
      expect(
        p.maps.map((m) => ({
          type: m.type,
          key_size: m.keySize,
          value_size: m.valueSize,
          max_entries: m.maxEntries,
        })),
        e.program,
      ).toEqual(c.maps);
      if (c.attach) {
        expect(p.attach, e.program).toMatchObject({
          struct: c.attach.struct,
          btfId: c.attach.btf_id,
          memberIndex: c.attach.member_index,
        });
        if (c.attach.member) expect(p.attach!.member).toBe(c.attach.member);
      } else expect(p.attach).toBeUndefined();
    }
  });
});

describe('what an object holds', () => {
  it('binds struct_ops members to programs and copies data members into the kernel value', () => {
    const obj = load('build/cc_aimd.bpf.o');
    const map = obj.maps.find((m) => m.name === 'kaimd')!;
    expect(map.type).toBe('struct_ops');
    expect(map.structOps!.struct).toBe('tcp_congestion_ops');
    const bound = Object.fromEntries(
      map.structOps!.members.filter((m) => m.program).map((m) => [m.member, m.program]),
    );
    expect(bound).toEqual({
      init: 'aimd_init',
      ssthresh: 'aimd_ssthresh',
      cong_avoid: 'aimd_cong_avoid',
      undo_cwnd: 'aimd_undo_cwnd',
    });
    const name = map.structOps!.members.find((m) => m.member === 'name')!;
    expect(new TextDecoder().decode(name.value!).replace(/\0+$/, '')).toBe('kmodel_aimd');
    // The kernel value is bpf_struct_ops_tcp_congestion_ops: the name sits at data + offset of name.
    const vtype = target.typeOfKind(map.structOps!.valueTypeId, 'STRUCT');
    expect(map.valueSize).toBe(vtype.size);
    const dataOff = vtype.members.find((m) => m.name === 'data')!.bitOffset / 8;
    const nameOff =
      target.typeOfKind(map.structOps!.btfId, 'STRUCT').members.find((m) => m.name === 'name')!.bitOffset / 8;
    expect(new TextDecoder().decode(map.data!.subarray(dataOff + nameOff, dataOff + nameOff + 11))).toBe(
      'kmodel_aimd',
    );
  });

  it('resolves kfunc externs to vmlinux BTF ids and keeps license, func_info and line_info', () => {
    const obj = load('build/cc_aimd.bpf.o');
    expect(obj.license).toBe('GPL');
    const kf = obj.externs.find((e) => e.name === 'tcp_slow_start')!;
    expect(kf.kind).toBe('kfunc');
    expect(kf.targetBtfId).toBe(target.findByName('tcp_slow_start', 'FUNC'));
    const p = obj.loaded.find((x) => x.name === 'aimd_cong_avoid')!;
    expect(p.funcInfo).toEqual([{ insnOff: 0, typeId: obj.btf!.findByName('aimd_cong_avoid', 'FUNC') }]);
    expect(p.lineInfo.length).toBeGreaterThan(3);
    expect(p.lineInfo.every((l) => l.insnOff < p.insns.length)).toBe(true);
    expect(p.lineInfo[0]!.fileName).toMatch(/cc_aimd\.bpf\.c$/);
    expect(p.lineInfo[0]!.line).toContain('aimd_cong_avoid');
  });

  it('appends a .text subprogram and carries its func_info at its new place', () => {
    const obj = load('build/tc_subprog.bpf.o');
    expect(obj.programs.filter((p) => p.isSubprog).map((p) => p.name)).toEqual(['l4_proto']);
    const p = obj.loaded[0]!;
    const own = obj.programs.find((x) => x.name === 'tc_subprog')!.secInsnCnt;
    expect(p.insns).toHaveLength(own + obj.programs.find((x) => x.name === 'l4_proto')!.secInsnCnt);
    expect(p.funcInfo.map((f) => f.insnOff)).toEqual([0, own]);
    const call = p.insns.findIndex((i) => i.code === 0x85 && i.src === 1);
    expect(call + p.insns[call]!.imm + 1).toBe(own);
  });

  it('describes BTF-defined maps with their key and value types', () => {
    const obj = load('build/xdp_dispatch.bpf.o');
    expect(obj.maps).toHaveLength(1);
    expect(obj.maps[0]).toMatchObject({
      name: 'handlers',
      type: 'prog_array',
      keySize: 4,
      valueSize: 4,
      maxEntries: 4,
    });
  });

  it('rejects what is not a BPF object with a one-line ObjectError', () => {
    expect(() => loadBpfObject(new TextEncoder().encode('hello'), { target })).toThrow(ObjectError);
    expect(() => loadBpfObject(new TextEncoder().encode('hello'), { target })).toThrow(
      'ELF: not an ELF file',
    );
  });
});
