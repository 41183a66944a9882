// Program relocations, in libbpf's order: record each ELF relocation against
// a program instruction (bpf_program__record_reloc), append the subprograms a
// main program calls in call order and fix the call offsets
// (bpf_object__reloc_code), then resolve map, global data and extern
// references (bpf_object__relocate_data). Map references come out in the
// corpus's normalised form: BPF_PSEUDO_MAP_IDX / BPF_PSEUDO_MAP_IDX_VALUE with
// imm = index of the map in the order the program first references it.
import { type Insn, isLdImm64 } from '../isa/insn';
import {
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} from '../isa/opcodes';
import type { BtfExt } from './btf-ext';
import {
  type ElfFile,
  type ElfRel,
  SHN_LORESERVE,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
} from './elf-file';
import { ObjectError } from './error';
import type { BpfExtern, BpfMap, BpfProgram, FuncInfo, LineInfo, LoadedProgram, Relo } from './types';

const isCall = (i: Insn) => i.code === 0x85;
const isSubprogCall = (i: Insn) => isCall(i) && i.src === BPF_PSEUDO_CALL && i.dst === 0 && i.off === 0;
const isPseudoFunc = (i: Insn) => isLdImm64(i) && i.src === BPF_PSEUDO_FUNC;

/** The program whose code holds instruction `insnIdx` of section `secIdx` (find_prog_by_sec_insn). */
export function progAt(programs: BpfProgram[], secIdx: number, insnIdx: number): BpfProgram | undefined {
  return programs.find(
    (p) => p.secIdx === secIdx && insnIdx >= p.secInsnOff && insnIdx < p.secInsnOff + p.secInsnCnt,
  );
}

export interface RecordContext {
  elf: ElfFile;
  programs: BpfProgram[];
  maps: BpfMap[];
  externs: BpfExtern[];
  textShndx: number;
}

/** bpf_object__collect_prog_relos for one SHT_REL section against an executable section. */
export function collectProgRelos(
  ctx: RecordContext,
  relSecName: string,
  targetIdx: number,
  rels: ElfRel[],
): void {
  const target = ctx.elf.sections[targetIdx]!;
  rels.forEach((rel, i) => {
    const sym = ctx.elf.symbols[rel.symbol]!;
    const where = `section '${relSecName}': relocation #${i}`;
    if (sym.shndx >= ctx.elf.sections.length && sym.shndx < SHN_LORESERVE)
      throw new ObjectError(`${where}: symbol #${sym.index} points to invalid section ${sym.shndx}`);
    if (rel.offset % 8 || rel.offset >= target.size)
      throw new ObjectError(`${where}: invalid offset 0x${rel.offset.toString(16)} in '${target.name}'`);
    const symName =
      sym.type === STT_SECTION && sym.name === '' ? (ctx.elf.sections[sym.shndx]?.name ?? '<?>') : sym.name;
    const prog = progAt(ctx.programs, targetIdx, rel.offset / 8);
    if (!prog) return; // code of no function (an overridden weak function): libbpf skips it too
    const insnIdx = rel.offset / 8 - prog.secInsnOff;
    prog.relos.push(recordReloc(ctx, prog, insnIdx, sym.index, `${where} against '${symName}'`));
  });
}

function recordReloc(
  ctx: RecordContext,
  prog: BpfProgram,
  insnIdx: number,
  symIdx: number,
  where: string,
): Relo {
  const insn = prog.insns[insnIdx]!;
  const sym = ctx.elf.symbols[symIdx]!;
  const relo = (type: Relo['type'], symOff: number, mapIdx = -1): Relo => ({ type, insnIdx, mapIdx, symOff });
  if (!isCall(insn) && !isLdImm64(insn))
    throw new ObjectError(
      `${where}: insn #${insnIdx} (code 0x${insn.code.toString(16)}) is neither a call nor ld_imm64`,
    );
  if (isLdImm64(insn) && !prog.insns[insnIdx + 1])
    throw new ObjectError(`${where}: ld_imm64 at insn #${insnIdx} is missing its second half`);
  const ext = ctx.externs.findIndex((e) => e.symIdx === symIdx);
  if (ext >= 0) return relo(isCall(insn) ? 'extern_func' : 'extern_var', ext);
  if (sym.shndx === 0 && sym.bind !== 0)
    throw new ObjectError(`${where}: undefined symbol is not an extern known to .BTF`);
  if (isCall(insn)) {
    if (insn.src !== BPF_PSEUDO_CALL)
      throw new ObjectError(`${where}: call insn #${insnIdx} is not a BPF-to-BPF call`);
    if (!sym.shndx || sym.shndx !== ctx.textShndx)
      throw new ObjectError(
        `${where}: call target is in section '${ctx.elf.sections[sym.shndx]?.name ?? '?'}', not '.text'`,
      );
    if (sym.value % 8)
      throw new ObjectError(`${where}: call target offset ${sym.value} is not instruction-aligned`);
    return relo('call', sym.value);
  }
  if (!sym.shndx || sym.shndx >= SHN_LORESERVE)
    throw new ObjectError(
      `${where}: symbol in special section 0x${sym.shndx.toString(16)} (uninitialised global?)`,
    );
  const symSec = ctx.elf.sections[sym.shndx]!;
  // libbpf's sym_is_subprog: the .text section symbol (static functions) or a global function.
  const isSubprog =
    (sym.bind === STB_LOCAL && sym.type === STT_SECTION) ||
    (sym.bind === STB_GLOBAL && sym.type === STT_FUNC);
  if (sym.shndx === ctx.textShndx && isSubprog) {
    if (sym.value % 8 || insn.imm % 8)
      throw new ObjectError(`${where}: function address ${sym.value}+${insn.imm} is not instruction-aligned`);
    return relo('subprog_addr', sym.value);
  }
  if (symSec.name === '.maps') {
    const mapIdx = ctx.maps.findIndex(
      (m) => m.origin === 'btf' && m.secIdx === sym.shndx && m.secOffset === sym.value,
    );
    if (mapIdx < 0) throw new ObjectError(`${where}: no map at offset ${sym.value} of '.maps'`);
    return relo('ld64', 0, mapIdx);
  }
  const mapIdx = ctx.maps.findIndex(
    (m) => (m.origin === 'data' || m.origin === 'rodata' || m.origin === 'bss') && m.secIdx === sym.shndx,
  );
  if (mapIdx < 0)
    throw new ObjectError(`${where}: reference into section '${symSec.name}', which is no map or data`);
  return relo('data', sym.value, mapIdx);
}

/** Records of a .BTF.ext info section that fall in a program, re-based to where it sits in the main program. */
function extInfoFor<R extends { insnOff: number }>(
  secs: { secName: string; records: R[] }[],
  prog: BpfProgram,
  subInsnOff: number,
): R[] {
  const sec = secs.find((s) => s.secName === prog.section);
  if (!sec) return [];
  return sec.records
    .filter((r) => r.insnOff / 8 >= prog.secInsnOff && r.insnOff / 8 < prog.secInsnOff + prog.secInsnCnt)
    .map((r) => ({ ...r, insnOff: Math.floor(r.insnOff / 8) - prog.secInsnOff + subInsnOff }));
}

/** One main program with its subprograms appended and every reference resolved. */
export function prepareProgram(
  main: BpfProgram,
  programs: BpfProgram[],
  maps: BpfMap[],
  externs: BpfExtern[],
  btfExt: BtfExt | undefined,
  textShndx: number,
  kconfigMapIdx: number,
): LoadedProgram {
  const insns: Insn[] = main.insns.map((i) => ({ ...i }));
  const relos: Relo[] = main.relos.map((r) => ({ ...r }));
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  const subOff = new Map<BpfProgram, number>([[main, 0]]);

  const relocCode = (prog: BpfProgram): void => {
    const base = subOff.get(prog)!;
    if (btfExt) {
      funcInfo.push(...extInfoFor(btfExt.funcInfo, prog, base));
      lineInfo.push(...extInfoFor(btfExt.lineInfo, prog, base));
    }
    for (let i = 0; i < prog.secInsnCnt; i++) {
      const insn = insns[base + i]!;
      if (!isSubprogCall(insn) && !isPseudoFunc(insn)) continue;
      const relo = prog.relos.find((r) => r.insnIdx === i);
      if (relo?.type === 'extern_func') continue;
      if (relo && relo.type !== 'call' && relo.type !== 'subprog_addr')
        throw new ObjectError(`program '${prog.name}': unexpected ${relo.type} relocation for insn #${i}`);
      let subIdx: number;
      if (relo) subIdx = relo.type === 'call' ? relo.symOff / 8 + insn.imm + 1 : (relo.symOff + insn.imm) / 8;
      else if (isPseudoFunc(insn))
        throw new ObjectError(`program '${prog.name}': function address at insn #${i} has no relocation`);
      else subIdx = prog.secInsnOff + i + insn.imm + 1;
      const sub = progAt(programs, textShndx, subIdx);
      if (!sub)
        throw new ObjectError(
          `program '${prog.name}': call at insn #${i} targets .text insn #${subIdx}, where no function is`,
        );
      if (!subOff.has(sub)) {
        const at = insns.length;
        subOff.set(sub, at);
        if (insns.length + sub.insns.length > 1_000_000)
          throw new ObjectError(
            `program '${main.name}': more than 1M instructions after appending subprograms`,
          );
        for (const s of sub.insns) insns.push({ ...s });
        for (const r of sub.relos) relos.push({ ...r, insnIdx: r.insnIdx + at });
        relocCode(sub);
      }
      insns[base + i]!.imm = subOff.get(sub)! - (base + i) - 1;
    }
  };
  relocCode(main);

  // Data references, then the corpus's map numbering (first reference in instruction order).
  const mapOf = new Map<number, number>();
  for (const r of relos) {
    const insn = insns[r.insnIdx]!;
    const hi = insns[r.insnIdx + 1];
    switch (r.type) {
      case 'ld64':
        insn.src = BPF_PSEUDO_MAP_IDX;
        mapOf.set(r.insnIdx, r.mapIdx);
        break;
      case 'data':
        hi!.imm = (insn.imm + r.symOff) | 0;
        insn.src = BPF_PSEUDO_MAP_IDX_VALUE;
        mapOf.set(r.insnIdx, r.mapIdx);
        break;
      case 'extern_var': {
        const e = externs[r.symOff]!;
        if (e.kind === 'kconfig') {
          insn.src = BPF_PSEUDO_MAP_IDX_VALUE;
          hi!.imm = e.kconfigOffset!;
          mapOf.set(r.insnIdx, kconfigMapIdx);
        } else if (e.targetBtfId !== undefined) {
          insn.src = BPF_PSEUDO_BTF_ID;
          insn.imm = e.targetBtfId;
          hi!.imm = 0;
        } else {
          // An unresolved __weak typed ksym reads as address 0.
          insn.imm = 0;
          hi!.imm = 0;
        }
        break;
      }
      case 'extern_func': {
        const e = externs[r.symOff]!;
        insn.src = BPF_PSEUDO_KFUNC_CALL;
        insn.imm = e.targetBtfId ?? 0;
        insn.off = 0;
        break;
      }
      case 'subprog_addr':
        if (insn.src !== BPF_PSEUDO_FUNC)
          throw new ObjectError(`program '${main.name}': bad function address insn`);
        break;
      case 'call':
        break;
    }
  }
  const order: BpfMap[] = [];
  const index = new Map<number, number>();
  for (const at of [...mapOf.keys()].sort((a, b) => a - b)) {
    const m = mapOf.get(at)!;
    if (!index.has(m)) {
      index.set(m, order.length);
      order.push(maps[m]!);
    }
    insns[at]!.imm = index.get(m)!;
  }
  return {
    name: main.name,
    section: main.section,
    progType: main.progType,
    expectedAttachType: main.expectedAttachType,
    sleepable: main.sleepable,
    attach: main.attach,
    insns,
    maps: order,
    funcInfo,
    lineInfo,
  };
}
