// struct_ops maps (`.struct_ops` and `.struct_ops.link`): each variable is a
// map of type BPF_MAP_TYPE_STRUCT_OPS whose value is the kernel's
// bpf_struct_ops_<struct>; function-pointer members bind programs (through the
// section's relocations), data members are copied into the kernel value
// (libbpf's init_struct_ops_maps, collect_st_ops_relos, init_kern_struct_ops).
import type { Btf, BtfComposite } from '../btf/btf';
import { resolveType, sizeOf } from '../btf/layout';
import type { ElfFile } from './elf-file';
import { SHN_LORESERVE, SHT_REL } from './elf-file';
import { ObjectError, rethrowBtfError } from './error';
import { findDatasec, varOffset } from './maps';
import type { BpfMap, BpfProgram, StructOpsMember } from './types';

const BPF_MAP_TYPE_STRUCT_OPS = 26;
const BPF_F_LINK = 0x2000;
export const STRUCT_OPS_SECTIONS = ['.struct_ops', '.struct_ops.link'];

interface LocalStructOps {
  map: BpfMap;
  local: BtfComposite;
  /** Local member index → program. */
  progs: Map<number, BpfProgram>;
}

/**
 * Struct_ops maps of both sections, programs bound from their relocations and
 * the kernel value built against `target` (vmlinux). Programs get their attach
 * struct and member.
 */
export function collectStructOpsMaps(
  elf: ElfFile,
  btf: Btf | undefined,
  target: Btf,
  programs: BpfProgram[],
): BpfMap[] {
  const out: BpfMap[] = [];
  for (const secName of STRUCT_OPS_SECTIONS) {
    const sec = elf.section(secName);
    if (!sec) continue;
    if (!btf) throw new ObjectError(`section '${secName}': struct_ops maps need the object's .BTF`);
    const ds = findDatasec(btf, secName);
    if (!ds) throw new ObjectError(`section '${secName}': no DATASEC '${secName}' in .BTF`);
    const locals: LocalStructOps[] = [];
    for (const vi of ds.vars) {
      const v = btf.type(vi.type);
      if (v.kind !== 'VAR')
        throw new ObjectError(`section '${secName}': entry [${vi.type}] is not a variable`);
      const t = btf.type(resolveType(btf, v.type));
      if (t.kind !== 'STRUCT') throw new ObjectError(`struct_ops map '${v.name}': type is not a struct`);
      const off = varOffset(elf, sec, v.name, vi.offset);
      if (off + t.size > sec.data.length)
        throw new ObjectError(`struct_ops map '${v.name}': variable runs past section '${secName}'`);
      const kernId = target.findAllByName(t.name, 'STRUCT')[0];
      if (kernId === undefined)
        throw new ObjectError(`struct_ops map '${v.name}': struct ${t.name} is not in vmlinux BTF`);
      const vtypeName = `bpf_struct_ops_${t.name}`;
      const vtypeId = target.findAllByName(vtypeName, 'STRUCT')[0];
      if (vtypeId === undefined)
        throw new ObjectError(
          `struct_ops map '${v.name}': ${vtypeName} is not in vmlinux BTF (not a struct_ops type)`,
        );
      const vtype = target.typeOfKind(vtypeId, 'STRUCT');
      const dataMember = vtype.members.find(
        (m) => m.name === 'data' && resolveType(target, m.type) === kernId,
      );
      if (!dataMember)
        throw new ObjectError(`struct_ops map '${v.name}': ${vtypeName} has no 'data' member of ${t.name}`);
      const map: BpfMap = {
        mapType: BPF_MAP_TYPE_STRUCT_OPS,
        type: 'struct_ops',
        keySize: 4,
        valueSize: vtype.size,
        maxEntries: 1,
        flags: secName === '.struct_ops.link' ? BPF_F_LINK : 0,
        keyTypeId: 0,
        valueTypeId: 0,
        numaNode: 0,
        pinning: 0,
        mapExtra: 0,
        name: v.name,
        origin: 'struct_ops',
        section: secName,
        secIdx: sec.index,
        secOffset: off,
        secSize: t.size,
        data: new Uint8Array(vtype.size),
        structOps: {
          struct: t.name,
          btfId: kernId,
          valueTypeId: vtypeId,
          link: secName === '.struct_ops.link',
          members: [],
        },
      };
      locals.push({ map, local: t, progs: new Map() });
    }
    bindPrograms(elf, secName, locals, programs);
    for (const l of locals) initKernValue(btf, target, l, sec.data, dataMemberOffset(target, l.map));
    out.push(...locals.map((l) => l.map));
  }
  return out;
}

function dataMemberOffset(target: Btf, map: BpfMap): number {
  const vtype = target.typeOfKind(map.structOps!.valueTypeId, 'STRUCT');
  return vtype.members.find((m) => m.name === 'data')!.bitOffset / 8;
}

/** `.rel.struct_ops*`: which program each function-pointer member points to. */
function bindPrograms(elf: ElfFile, secName: string, locals: LocalStructOps[], programs: BpfProgram[]): void {
  const rel = elf.sections.find((s) => s.type === SHT_REL && s.name === `.rel${secName}`);
  if (!rel) return;
  for (const [i, r] of elf.relocations(rel).entries()) {
    const sym = elf.symbols[r.symbol]!;
    const where = `section '.rel${secName}': relocation #${i} against '${sym.name}'`;
    const l = locals.find((x) => r.offset >= x.map.secOffset && r.offset < x.map.secOffset + x.local.size);
    if (!l) throw new ObjectError(`${where}: offset ${r.offset} is in no struct_ops map`);
    const moff = r.offset - l.map.secOffset;
    const idx = l.local.members.findIndex((m) => m.bitOffset === moff * 8);
    if (moff % 8 || idx < 0)
      throw new ObjectError(`${where}: no member of ${l.local.name} at offset ${moff}`);
    if (!sym.shndx || sym.shndx >= SHN_LORESERVE)
      throw new ObjectError(`${where}: symbol is not in a program section`);
    if (sym.value % 8)
      throw new ObjectError(`${where}: symbol value ${sym.value} is not instruction-aligned`);
    const prog = programs.find(
      (p) =>
        p.secIdx === sym.shndx &&
        sym.value / 8 >= p.secInsnOff &&
        sym.value / 8 < p.secInsnOff + p.secInsnCnt,
    );
    if (!prog) throw new ObjectError(`${where}: no program at that symbol`);
    if (prog.progType !== 'struct_ops')
      throw new ObjectError(
        `${where}: program '${prog.name}' in section '${prog.section}' is not struct_ops`,
      );
    l.progs.set(idx, prog);
  }
}

/** bpf_map__init_kern_struct_ops: kernel value bytes, member → program, programs' attach. */
function initKernValue(
  btf: Btf,
  target: Btf,
  l: LocalStructOps,
  secData: Uint8Array,
  kernDataOff: number,
): void {
  const so = l.map.structOps!;
  const kern = target.typeOfKind(so.btfId, 'STRUCT');
  const data = secData.subarray(l.map.secOffset, l.map.secOffset + l.local.size);
  l.local.members.forEach((m, i) => {
    const where = `struct_ops map '${l.map.name}': member '${m.name}'`;
    const ki = kern.members.findIndex((k) => k.name === m.name);
    if (ki < 0) throw new ObjectError(`${where}: not in kernel struct ${kern.name}`);
    const km = kern.members[ki]!;
    if (m.bitfieldSize || km.bitfieldSize) throw new ObjectError(`${where}: bitfields are not supported`);
    const mt = resolveType(btf, m.type);
    const kmt = resolveType(target, km.type);
    if (btf.kindOf(mt) !== target.kindOf(kmt))
      throw new ObjectError(
        `${where}: kind ${btf.kindNameOf(mt)} differs from the kernel's ${target.kindNameOf(kmt)}`,
      );
    const entry: StructOpsMember = { member: m.name, memberIndex: ki };
    if (btf.kindOf(mt) === 2) {
      const prog = l.progs.get(i);
      if (!prog) return;
      if (target.kindOf(resolveType(target, target.sizeOrTypeOf(kmt))) !== 13)
        throw new ObjectError(`${where}: kernel member is not a function pointer`);
      if (prog.attach && (prog.attach.btfId !== so.btfId || prog.attach.memberIndex !== ki))
        throw new ObjectError(
          `${where}: program '${prog.name}' is already bound to ${prog.attach.struct}.${prog.attach.member}`,
        );
      prog.attach = { struct: so.struct, member: m.name, btfId: so.btfId, memberIndex: ki };
      entry.program = prog.name;
      so.members.push(entry);
      return;
    }
    const msize = rethrowBtfError(where, () => sizeOf(btf, mt));
    const ksize = rethrowBtfError(where, () => sizeOf(target, kmt));
    if (msize !== ksize) throw new ObjectError(`${where}: size ${msize} differs from the kernel's ${ksize}`);
    const bytes = data.subarray(m.bitOffset / 8, m.bitOffset / 8 + msize);
    l.map.data!.set(bytes, kernDataOff + km.bitOffset / 8);
    if (bytes.some((b) => b !== 0)) {
      entry.value = bytes.slice();
      so.members.push(entry);
    }
  });
}
