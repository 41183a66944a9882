// The shapes of an opened BPF object: programs, maps, externs, as libbpf
// holds them between bpf_object__open and the BPF_PROG_LOAD calls.
import type { Btf } from '../btf/btf';
import type { Insn } from '../isa/insn';
import type { BtfExt } from './btf-ext';

/** Where a map comes from: `.maps`, a global data section, `.kconfig` or a struct_ops section. */
export type MapOrigin = 'btf' | 'data' | 'rodata' | 'bss' | 'kconfig' | 'struct_ops';

export interface BpfMapDef {
  /** enum bpf_map_type value and its lower-case kernel name ('array', 'hash', …). */
  mapType: number;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Object BTF ids of the key and value types (0 when not given). */
  keyTypeId: number;
  valueTypeId: number;
  numaNode: number;
  pinning: number;
  mapExtra: number;
}

export interface StructOpsMember {
  /** Member of the kernel struct (its index in the vmlinux struct). */
  member: string;
  memberIndex: number;
  /** Program bound to a function-pointer member. */
  program?: string;
  /** Initial bytes of a data member, copied into the kernel value. */
  value?: Uint8Array;
}

export interface StructOpsInfo {
  /** The struct's name (tcp_congestion_ops) and vmlinux ids of it and of its bpf_struct_ops_ value type. */
  struct: string;
  btfId: number;
  valueTypeId: number;
  /** `.struct_ops.link` maps are created with BPF_F_LINK. */
  link: boolean;
  members: StructOpsMember[];
}

export interface BpfMap extends BpfMapDef {
  name: string;
  origin: MapOrigin;
  /** ELF section it is defined in and its offset there. */
  section: string;
  secIdx: number;
  secOffset: number;
  /** Bytes its definition takes in the section (the DATASEC variable's size; `values` slots included). */
  secSize: number;
  /** BTF-defined map-in-map: the inner map's definition. */
  inner?: BpfMapDef;
  /** `values` initialisation (prog_array / map-in-map): slot → program or map name. */
  init?: { slot: number; target: string }[];
  /** Initial value bytes (global data, .kconfig, struct_ops kernel value). */
  data?: Uint8Array;
  structOps?: StructOpsInfo;
}

export type ExternKind = 'kfunc' | 'ksym' | 'kconfig';

export interface BpfExtern {
  name: string;
  kind: ExternKind;
  weak: boolean;
  symIdx: number;
  /** Object BTF id of the extern's FUNC / VAR. */
  btfId: number;
  /** Resolved: vmlinux BTF id (kfunc, typed ksym) — undefined when an unresolved weak extern. */
  targetBtfId?: number;
  /** kconfig: offset in the .kconfig map and value bytes. */
  kconfigOffset?: number;
  kconfigSize?: number;
  value?: bigint | string;
}

export type ReloType = 'ld64' | 'data' | 'extern_var' | 'extern_func' | 'subprog_addr' | 'call';

export interface Relo {
  type: ReloType;
  /** Instruction index in the program's own frame (after subprog appending: the main program's). */
  insnIdx: number;
  mapIdx: number;
  /** sym->st_value (call, subprog_addr, data) or the extern index (extern_*). */
  symOff: number;
}

export interface FuncInfo {
  /** Instruction index in the loaded program. */
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

export interface BpfProgram {
  name: string;
  section: string;
  secIdx: number;
  /** Offset (in instructions) and length of its code in the section. */
  secInsnOff: number;
  secInsnCnt: number;
  /** A `.text` function called from entry programs, not loaded by itself. */
  isSubprog: boolean;
  /** Program type from the section name (null when libbpf does not recognise it). */
  progType: string | null;
  expectedAttachType: string | null;
  sleepable: boolean;
  /** struct_ops: the vmlinux struct and member it implements (from the struct_ops map). */
  attach?: { struct: string; member: string; btfId: number; memberIndex: number };
  /** Own instructions after CO-RE relocation. */
  insns: Insn[];
  relos: Relo[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
}

/** One entry program as BPF_PROG_LOAD receives it. */
export interface LoadedProgram {
  name: string;
  section: string;
  progType: string | null;
  expectedAttachType: string | null;
  sleepable: boolean;
  attach?: BpfProgram['attach'];
  insns: Insn[];
  /** Maps in the order the program first references them (index = BPF_PSEUDO_MAP_IDX imm). */
  maps: BpfMap[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
}

export interface BpfObject {
  littleEndian: boolean;
  license: string;
  kernVersion: number;
  btf: Btf | undefined;
  btfExt: BtfExt | undefined;
  /** Every function: entry programs and `.text` subprograms, in libbpf's order (section, offset). */
  programs: BpfProgram[];
  maps: BpfMap[];
  externs: BpfExtern[];
  /** Entry programs prepared for loading, in program order. */
  loaded: LoadedProgram[];
}
