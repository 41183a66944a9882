// Opening and preparing a BPF ELF object the way libbpf does between
// bpf_object__open and the BPF_PROG_LOAD calls, against a target kernel BTF
// (the reference vmlinux): programs by section, maps, externs, CO-RE,
// subprogram appending and data relocations. Every failure is an ObjectError
// with a one-line reason.
import type { Btf } from '../btf/btf';
import { parseBtf } from '../btf/btf';
import { BtfError } from '../btf/error';
import { decodeInsns } from '../isa/encoding';
import { IsaError } from '../isa/errors';
import { BPF_PSEUDO_FUNC } from '../isa/opcodes';
import { type BtfExt, parseBtfExt } from './btf-ext';
import { applyCoreRelo, type CoreTarget } from './core-relo';
import {
  ElfFile,
  type ObjectSection,
  SHF_EXECINSTR,
  SHT_PROGBITS,
  SHT_REL,
  STB_LOCAL,
  STT_FUNC,
} from './elf-file';
import { ObjectError, rethrowBtfError } from './error';
import { collectExterns, type KconfigOptions, kconfigData, resolveKsyms } from './externs';
import {
  collectBtfMaps,
  collectGlobalDataMaps,
  collectMapRelos,
  internalMap,
  rejectLegacyMaps,
} from './maps';
import { collectProgRelos, prepareProgram, progAt } from './relocate';
import { findSecDef } from './section-defs';
import { collectStructOpsMaps, STRUCT_OPS_SECTIONS } from './struct-ops';
import type { BpfObject, BpfProgram } from './types';

export interface LoadObjectOptions {
  /** The target kernel's BTF (CO-RE, kfuncs, struct_ops types). */
  target: Btf;
  kconfig?: KconfigOptions;
}

function cstr(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(data.subarray(0, end < 0 ? data.length : end));
}

function addPrograms(elf: ElfFile, sec: ObjectSection, textShndx: number, out: BpfProgram[]): void {
  for (const sym of elf.symbols) {
    if (sym.shndx !== sec.index || sym.type !== STT_FUNC) continue;
    const where = `section '${sec.name}': program '${sym.name}'`;
    if (sym.value + sym.size > sec.size)
      throw new ObjectError(`${where} at offset ${sym.value} crosses the section end`);
    if (sym.size === 0 || sym.size % 8 || sym.value % 8)
      throw new ObjectError(`${where}: offset ${sym.value} / size ${sym.size} are not whole instructions`);
    if (sec.index !== textShndx && sym.bind === STB_LOCAL)
      throw new ObjectError(`${where} is static, which libbpf does not support outside .text`);
    const def = findSecDef(sec.name);
    out.push({
      name: sym.name,
      section: sec.name,
      secIdx: sec.index,
      secInsnOff: sym.value / 8,
      secInsnCnt: sym.size / 8,
      isSubprog: false,
      progType: def?.progType ?? null,
      expectedAttachType: def?.expectedAttachType ?? null,
      sleepable: def?.sleepable ?? false,
      insns: decodeInsns(sec.data.subarray(sym.value, sym.value + sym.size), elf.littleEndian ? 'le' : 'be'),
      relos: [],
      funcInfo: [],
      lineInfo: [],
    });
  }
}

function parseObjectBtf(elf: ElfFile): { btf: Btf | undefined; btfExt: BtfExt | undefined } {
  const sec = elf.section('.BTF');
  if (!sec) return { btf: undefined, btfExt: undefined };
  if (sec.type !== SHT_PROGBITS) throw new ObjectError(`section '.BTF': type ${sec.type} is not PROGBITS`);
  const btf = rethrowBtfError("section '.BTF'", () => parseBtf(sec.data, { name: 'object' }));
  const ext = elf.section('.BTF.ext');
  if (!ext) return { btf, btfExt: undefined };
  if (ext.type !== SHT_PROGBITS)
    throw new ObjectError(`section '.BTF.ext': type ${ext.type} is not PROGBITS`);
  return { btf, btfExt: parseBtfExt(ext.data, btf) };
}

/** bpf_object__relocate_core: every .BTF.ext core relocation applied to its program's own instructions. */
function relocateCore(elf: ElfFile, btf: Btf, btfExt: BtfExt, programs: BpfProgram[], target: Btf): void {
  const core: CoreTarget = { btf: target, cands: new Map() };
  for (const sec of btfExt.coreRelos) {
    const elfSec = elf.section(sec.secName);
    if (!elfSec) throw new ObjectError(`.BTF.ext: CO-RE relocations for unknown section '${sec.secName}'`);
    sec.records.forEach((r, i) => {
      if (r.insnOff % 8)
        throw new ObjectError(
          `.BTF.ext: CO-RE relocation #${i} of '${sec.secName}' at byte ${r.insnOff} is not an instruction`,
        );
      const prog = progAt(programs, elfSec.index, r.insnOff / 8);
      if (!prog) return; // code of an overridden weak function, as libbpf skips it
      applyCoreRelo(
        prog.name,
        i,
        btf,
        r,
        core,
        prog.insns,
        r.insnOff / 8 - prog.secInsnOff,
        elf.littleEndian,
      );
    });
  }
}

/** Opens `bytes` as a BPF object and prepares every entry program for loading; ObjectError when it cannot. */
export function loadBpfObject(bytes: Uint8Array, opts: LoadObjectOptions): BpfObject {
  try {
    return openAndPrepare(bytes, opts);
  } catch (e) {
    // Backstop: a BTF or instruction check this loader did not wrap with its own context.
    if (e instanceof BtfError) throw new ObjectError(`.BTF: ${e.reason}`);
    if (e instanceof IsaError) throw new ObjectError(`instructions: ${e.message}`);
    throw e;
  }
}

function openAndPrepare(bytes: Uint8Array, opts: LoadObjectOptions): BpfObject {
  const elf = new ElfFile(bytes);
  rejectLegacyMaps(elf);
  const licenseSec = elf.section('license');
  const license = licenseSec ? cstr(licenseSec.data) : '';
  let kernVersion = 0;
  const versionSec = elf.section('version');
  if (versionSec) {
    if (versionSec.data.length !== 4)
      throw new ObjectError(`section 'version': ${versionSec.data.length} bytes, want 4`);
    kernVersion = new DataView(versionSec.data.buffer, versionSec.data.byteOffset, 4).getUint32(
      0,
      elf.littleEndian,
    );
  }
  const { btf, btfExt } = parseObjectBtf(elf);

  const execSecs = elf.sections.filter(
    (s) => s.type === SHT_PROGBITS && s.flags & SHF_EXECINSTR && s.size > 0,
  );
  const textShndx = execSecs.find((s) => s.name === '.text')?.index ?? 0;
  const programs: BpfProgram[] = [];
  for (const sec of execSecs) addPrograms(elf, sec, textShndx, programs);
  programs.sort((a, b) => a.secIdx - b.secIdx || a.secInsnOff - b.secInsnOff);
  for (const p of programs) p.isSubprog = p.secIdx === textShndx && programs.length > 1;

  const externs = collectExterns(elf, btf);
  const maps = [...collectBtfMaps(elf, btf), ...collectGlobalDataMaps(elf, btf)];
  let kconfigMapIdx = -1;
  if (externs.some((e) => e.kind === 'kconfig')) {
    kconfigMapIdx = maps.length;
    maps.push(
      internalMap(
        '.kconfig',
        'kconfig',
        undefined,
        btf,
        kconfigData(externs, btf!, opts.kconfig ?? {}, elf.littleEndian),
      ),
    );
  }
  maps.push(...collectStructOpsMaps(elf, btf, opts.target, programs));

  for (const rel of elf.sections.filter((s) => s.type === SHT_REL)) {
    if (rel.entsize !== 16 || rel.info >= elf.sections.length)
      throw new ObjectError(
        `section '${rel.name}': bad relocation section (entsize ${rel.entsize}, target ${rel.info})`,
      );
    const target = elf.sections[rel.info]!;
    if (rel.name === '.rel.maps' || STRUCT_OPS_SECTIONS.some((s) => rel.name === `.rel${s}`)) continue;
    if (target.type !== SHT_PROGBITS || !(target.flags & SHF_EXECINSTR)) continue;
    collectProgRelos({ elf, programs, maps, externs, textShndx }, rel.name, rel.info, elf.relocations(rel));
  }
  collectMapRelos(elf, btf, maps, (secIdx, insn) => progAt(programs, secIdx, insn)?.name);
  for (const p of programs) p.relos.sort((a, b) => a.insnIdx - b.insnIdx);

  if (btf) resolveKsyms(externs, btf, opts.target);
  if (btf && btfExt) relocateCore(elf, btf, btfExt, programs, opts.target);
  for (const p of programs)
    for (const r of p.relos) if (r.type === 'subprog_addr') p.insns[r.insnIdx]!.src = BPF_PSEUDO_FUNC;

  const loaded = programs
    .filter((p) => !p.isSubprog)
    .map((p) => prepareProgram(p, programs, maps, externs, btfExt, textShndx, kconfigMapIdx));
  for (const l of loaded) {
    const p = programs.find((x) => x.name === l.name && !x.isSubprog)!;
    p.funcInfo = l.funcInfo;
    p.lineInfo = l.lineInfo;
  }
  return {
    littleEndian: elf.littleEndian,
    license,
    kernVersion,
    btf,
    btfExt,
    programs,
    maps,
    externs,
    loaded,
  };
}
