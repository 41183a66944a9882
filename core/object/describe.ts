// A plain-data summary of an opened object (what `kmodel object show`
// prints, as JSON or text), and a disassembly of a loaded program with map
// and kfunc names.
import type { Btf } from '../btf/btf';
import { typeString } from '../btf/layout';
import { bpftoolImmText, type DisasmResolver, disasmProgram } from '../isa/disasm';
import {
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} from '../isa/opcodes';
import type { BpfMap, BpfMapDef, BpfObject, LoadedProgram } from './types';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export interface MapDefSummary {
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  keyType?: string;
  valueType?: string;
}

export interface ObjectSummary {
  endian: 'little' | 'big';
  license: string;
  kernVersion: number;
  programs: {
    name: string;
    section: string;
    type: string | null;
    expectedAttachType: string | null;
    sleepable: boolean;
    attach?: { struct: string; member: string; btfId: number; memberIndex: number };
    insns: number;
    maps: string[];
    funcInfo: number;
    lineInfo: number;
  }[];
  subprograms: { name: string; section: string; insns: number }[];
  maps: (MapDefSummary & {
    name: string;
    origin: string;
    section: string;
    inner?: MapDefSummary;
    init?: { slot: number; target: string }[];
    data?: string;
    structOps?: {
      struct: string;
      btfId: number;
      link: boolean;
      members: { member: string; memberIndex: number; program?: string; value?: string }[];
    };
  })[];
  externs: { name: string; kind: string; weak: boolean; vmlinuxId?: number; value?: string }[];
}

function typeName(btf: Btf | undefined, id: number): string | undefined {
  if (!btf || !id) return undefined;
  try {
    return typeString(btf, id);
  } catch {
    return `[${id}]`;
  }
}

function defSummary(d: BpfMapDef, btf: Btf | undefined): MapDefSummary {
  const s: MapDefSummary = {
    type: d.type,
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: d.maxEntries,
    flags: d.flags,
  };
  const k = typeName(btf, d.keyTypeId);
  const v = typeName(btf, d.valueTypeId);
  if (k) s.keyType = k;
  if (v) s.valueType = v;
  return s;
}

function mapSummary(m: BpfMap, btf: Btf | undefined): ObjectSummary['maps'][number] {
  const out: ObjectSummary['maps'][number] = {
    name: m.name,
    origin: m.origin,
    section: m.section,
    ...defSummary(m, btf),
  };
  if (m.inner) out.inner = defSummary(m.inner, btf);
  if (m.init) out.init = m.init;
  if (m.structOps) {
    const so = m.structOps;
    out.structOps = {
      struct: so.struct,
      btfId: so.btfId,
      link: so.link,
      members: so.members.map((x) => ({
        member: x.member,
        memberIndex: x.memberIndex,
        ...(x.program ? { program: x.program } : {}),
        ...(x.value ? { value: hex(x.value) } : {}),
      })),
    };
  } else if (m.data && m.data.length <= 4096) out.data = hex(m.data);
  return out;
}

export function describeObject(obj: BpfObject): ObjectSummary {
  return {
    endian: obj.littleEndian ? 'little' : 'big',
    license: obj.license,
    kernVersion: obj.kernVersion,
    programs: obj.loaded.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.progType,
      expectedAttachType: p.expectedAttachType,
      sleepable: p.sleepable,
      ...(p.attach ? { attach: p.attach } : {}),
      insns: p.insns.length,
      maps: p.maps.map((m) => m.name),
      funcInfo: p.funcInfo.length,
      lineInfo: p.lineInfo.length,
    })),
    subprograms: obj.programs
      .filter((p) => p.isSubprog)
      .map((p) => ({ name: p.name, section: p.section, insns: p.secInsnCnt })),
    maps: obj.maps.map((m) => mapSummary(m, obj.btf)),
    externs: obj.externs.map((e) => ({
      name: e.name,
      kind: e.kind,
      weak: e.weak,
      ...(e.targetBtfId !== undefined ? { vmlinuxId: e.targetBtfId } : {}),
      ...(e.value !== undefined ? { value: String(e.value) } : {}),
    })),
  };
}

/** A printable string for a data member's bytes: text for a NUL-terminated name, else hex. */
export function memberValueText(hexBytes: string): string {
  const bytes = hexBytes.match(/../g)!.map((h) => Number.parseInt(h, 16));
  const end = bytes.indexOf(0);
  const text = bytes.slice(0, end < 0 ? bytes.length : end);
  if (end > 0 && text.every((b) => b >= 0x20 && b < 0x7f) && bytes.slice(end).every((b) => b === 0))
    return JSON.stringify(String.fromCharCode(...text));
  return `0x${hexBytes}`;
}

export function formatObjectSummary(s: ObjectSummary, file: string): string {
  const lines: string[] = [];
  lines.push(
    `${file}: ELF64 ${s.endian}-endian BPF object, license "${s.license}", version ${s.kernVersion}`,
  );
  lines.push(`programs (${s.programs.length}):`);
  for (const p of s.programs) {
    const attach = p.attach
      ? ` attach ${p.attach.struct}.${p.attach.member} (btf_id ${p.attach.btfId}, member ${p.attach.memberIndex})`
      : p.expectedAttachType
        ? ` attach_type ${p.expectedAttachType}`
        : '';
    const maps = p.maps.length ? ` maps [${p.maps.join(', ')}]` : '';
    lines.push(
      `  ${p.name}: section ${p.section}, type ${p.type ?? 'unknown'}${attach}${p.sleepable ? ', sleepable' : ''}, ${p.insns} insns${maps}, func_info ${p.funcInfo}, line_info ${p.lineInfo}`,
    );
  }
  if (s.subprograms.length) {
    lines.push(`subprograms (${s.subprograms.length}):`);
    for (const p of s.subprograms) lines.push(`  ${p.name}: section ${p.section}, ${p.insns} insns`);
  }
  lines.push(`maps (${s.maps.length}):`);
  const def = (m: MapDefSummary) =>
    `${m.type}, key ${m.keySize}${m.keyType ? ` (${m.keyType})` : ''}, value ${m.valueSize}${m.valueType ? ` (${m.valueType})` : ''}, max_entries ${m.maxEntries}, flags 0x${m.flags.toString(16)}`;
  for (const m of s.maps) {
    lines.push(`  ${m.name}: ${def(m)} [${m.section}]`);
    if (m.inner) lines.push(`    inner: ${def(m.inner)}`);
    for (const i of m.init ?? []) lines.push(`    [${i.slot}] = ${i.target}`);
    if (m.data) lines.push(`    data: ${m.data || '(empty)'}`);
    if (m.structOps) {
      lines.push(
        `    struct ${m.structOps.struct} (btf_id ${m.structOps.btfId})${m.structOps.link ? ', link' : ''}:`,
      );
      for (const x of m.structOps.members)
        lines.push(`      .${x.member} = ${x.program ?? memberValueText(x.value!)}`);
    }
  }
  if (s.externs.length) {
    lines.push(`externs (${s.externs.length}):`);
    for (const e of s.externs) {
      const res =
        e.vmlinuxId !== undefined
          ? ` vmlinux [${e.vmlinuxId}]`
          : e.value !== undefined
            ? ` = ${e.value}`
            : e.weak
              ? ' unresolved (weak: reads as 0)'
              : ' unresolved';
      lines.push(`  ${e.name}: ${e.kind}${e.weak ? ' (weak)' : ''}${res}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The program's instructions as the verifier log prints them, maps and kfuncs
 * by name; with `source`, each line_info's C line as a `; line (file:N)` comment
 * before its first instruction, as bpftool's dump does.
 */
export function disasmLoadedProgram(p: LoadedProgram, target: Btf, source = false): string[] {
  const resolver: DisasmResolver = {
    immText: (insns, i, value) => {
      const insn = insns[i]!;
      const m = p.maps[insn.imm];
      if (insn.src === BPF_PSEUDO_MAP_IDX && m) return `map[${m.name}]`;
      if (insn.src === BPF_PSEUDO_MAP_IDX_VALUE && m) return `map[${m.name}]+${insns[i + 1]!.imm >>> 0}`;
      if (insn.src === BPF_PSEUDO_BTF_ID && target.hasType(insn.imm))
        return `btf[${target.nameOf(insn.imm)}]`;
      return bpftoolImmText(insns, i, value);
    },
    callName: (insn) => {
      if (insn.src !== BPF_PSEUDO_KFUNC_CALL || !target.hasType(insn.imm) || insn.imm === 0) return undefined;
      return target.nameOf(insn.imm);
    },
  };
  const lines = disasmProgram(p.insns, resolver);
  if (!source || !p.lineInfo.length) return lines;
  const at = new Map<number, string>();
  for (const l of p.lineInfo) {
    const file = l.fileName.split('/').pop();
    at.set(l.insnOff, `; ${l.line.trim()} (${file}:${l.lineNum})`);
  }
  let last = '';
  return lines.flatMap((line) => {
    const c = at.get(Number(line.slice(0, line.indexOf(':'))));
    if (!c || c === last) return [line];
    last = c;
    return [c, line];
  });
}
