// `kmodel object …`: a BPF ELF object read from the command line and
// prepared against the reference vmlinux BTF; bad objects become one-line CliErrors.
import type { Btf } from '../core/btf/btf';
import { isElf } from '../core/btf/elf';
import type { Insn } from '../core/isa/insn';
import { kernelVersionOf } from '../core/object/externs';
import { loadBpfObject } from '../core/object/object';
import { progBtfOf } from '../core/object/prog-btf';
import type { BpfObject, LoadedProgram } from '../core/object/types';
import type { MapDef, ProgBtf } from '../core/verifier/index';
import { loadReferenceVmlinuxBtf } from '../main/host/btf-files';
import { CliError } from './errors';
import { readInputBytesOrFail } from './input-file';

/** The reference kernel's release (LINUX_KERNEL_VERSION for __kconfig externs). */
export const REFERENCE_RELEASE = '6.18.44';

export async function loadObjectOrFail(path: string): Promise<{ obj: BpfObject; target: Btf }> {
  const bytes = readInputBytesOrFail(path, 'program');
  const target = await loadReferenceVmlinuxBtf();
  try {
    const obj = loadBpfObject(bytes, {
      target,
      kconfig: { kernelVersion: kernelVersionOf(REFERENCE_RELEASE) },
    });
    return { obj, target };
  } catch (e) {
    if (e instanceof Error && (e.name === 'ObjectError' || e.name === 'BtfError' || e.name === 'IsaError'))
      throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

export function programOrFail(obj: BpfObject, path: string, name: string | undefined): LoadedProgram {
  const names = obj.loaded.map((p) => p.name);
  if (name === undefined) {
    if (names.length === 1) return obj.loaded[0]!;
    throw new CliError(`${path}: give --program NAME (one of ${names.join(', ') || 'none'})`);
  }
  const p = obj.loaded.find((x) => x.name === name);
  if (!p) throw new CliError(`${path}: no program '${name}' (programs: ${names.join(', ') || 'none'})`);
  return p;
}

/** A program of a BPF object as `kmodel verify` / `kmodel jit` load it. */
export interface ObjectProgramArg {
  name: string;
  insns: Insn[];
  /** From the section name (libbpf's table). */
  progType: string | undefined;
  /** struct_ops: STRUCT:MEMBER from the object's struct_ops map. */
  attach: string | undefined;
  /** The maps it references, in BPF_PSEUDO_MAP_IDX order. */
  maps: MapDef[];
  /** Its line_info (C source lines), for the log. */
  lineInfo: LoadedProgram['lineInfo'];
  /** The object's BTF with the program's func_info, as BPF_PROG_LOAD receives them. */
  progBtf: ProgBtf | undefined;
}

const VERIFIER_MAP_TYPES: readonly string[] = ['array', 'hash', 'prog_array'];

/**
 * When FILE is a BPF ELF object: its program (--program NAME, or the only one)
 * prepared as libbpf would; undefined for any other file.
 */
export async function objectProgramArg(
  file: string | undefined,
  program: string | undefined,
): Promise<ObjectProgramArg | undefined> {
  if (file === undefined || !isElf(readInputBytesOrFail(file, 'program'))) {
    if (program !== undefined) throw new CliError('--program NAME needs a BPF ELF object FILE');
    return undefined;
  }
  const { obj } = await loadObjectOrFail(file);
  const p = programOrFail(obj, file, program);
  return { ...loadedProgramArg(file, p), progBtf: progBtfOf(obj, p) };
}

/** A loaded program of the object FILE as the verifier takes it (maps of the types it models). */
export function loadedProgramArg(file: string, p: LoadedProgram, obj?: BpfObject): ObjectProgramArg {
  const maps = p.maps.map((m) => {
    if (!VERIFIER_MAP_TYPES.includes(m.type))
      throw new CliError(
        `${file}: program '${p.name}' uses map '${m.name}' of type ${m.type}; the verifier model has ${VERIFIER_MAP_TYPES.join(', ')}`,
      );
    return {
      type: m.type as MapDef['type'],
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    };
  });
  return {
    name: p.name,
    insns: p.insns,
    progType: p.progType ?? undefined,
    attach: p.attach ? `${p.attach.struct}:${p.attach.member}` : undefined,
    maps,
    lineInfo: p.lineInfo,
    progBtf: obj ? progBtfOf(obj, p) : undefined,
  };
}
