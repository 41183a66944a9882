// Programs and instances a model takes from clang-built BPF objects, written
//   programs:  [{ object: x.bpf.o, program: NAME }]       (name, member: from the object)
//   instances: [{ object: x.bpf.o, map: NAME }]           (member → program from its struct_ops map)
// and rewritten into the plain forms before validation: a program gets its insns as
// libbpf loads them, an instance its bindings, and an instance's programs the model
// does not list are added. The bytes come from the caller (core reads no files).
// What the text cannot carry — the object's BTF with the program's func_info (libbpf's
// prog_btf_fd) and its line_info — goes to `programBtf`, by program name.
import type { Btf } from '../btf/btf';
import { modelProgramText, structOpsDataValues, structOpsMapOf } from '../object/model-skeleton';
import { loadBpfObject } from '../object/object';
import { progBtfOf } from '../object/prog-btf';
import type { BpfObject, LoadedProgram } from '../object/types';
import type { ProgBtf } from '../verifier/btf-func';
import type { ModelDiagnostic, ModelSource } from './load';

type Raw = Record<string, unknown>;
type PathKey = string | number;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

class RefError extends Error {
  constructor(
    readonly path: PathKey[],
    message: string,
  ) {
    super(message);
  }
}

/** What BPF_PROG_LOAD gets beside the insns for a program taken from an object. */
export interface ObjectProgramBtf {
  /** The object file as the model names it. */
  object: string;
  /** The object's BTF and the program's func_info; absent when the object has no .BTF.ext func_info. */
  progBtf?: ProgBtf;
  /** The program's C lines (insn offsets of the program as loaded). */
  lineInfo: LoadedProgram['lineInfo'];
}

/**
 * The expander loadModel runs; without a reader or target BTF, object entries are errors.
 * `programBtf` receives each object program's BTF and line_info by program name.
 */
export function objectRefExpander(
  readObject: ((path: string) => Uint8Array) | undefined,
  target: Btf | undefined,
  programBtf?: Map<string, ObjectProgramBtf>,
): (value: unknown, source: ModelSource) => ModelDiagnostic[] {
  return (value, source) => {
    try {
      expandObjectRefs(value, readObject, target, programBtf ?? new Map());
      return [];
    } catch (e) {
      if (e instanceof RefError) return [source.diag(e.path, e.message)];
      throw e;
    }
  };
}

function expandObjectRefs(
  value: unknown,
  readObject: ((path: string) => Uint8Array) | undefined,
  target: Btf | undefined,
  programBtf: Map<string, ObjectProgramBtf>,
): void {
  if (!isRecord(value)) return;
  const programs = Array.isArray(value.programs) ? (value.programs as unknown[]) : undefined;
  const instances = Array.isArray(value.instances) ? (value.instances as unknown[]) : undefined;
  const refers = (list: unknown[] | undefined) => list?.some((x) => isRecord(x) && 'object' in x);
  if (!refers(programs) && !refers(instances)) return;

  const objects = new Map<string, BpfObject>();
  const open = (file: unknown, at: PathKey[]): BpfObject => {
    if (typeof file !== 'string' || !file) throw new RefError(at, 'object: the path of a BPF object (.o)');
    const known = objects.get(file);
    if (known) return known;
    if (!readObject || !target)
      throw new RefError(
        at,
        `object ${file}: BPF objects are read by \`kmodel model check\` (no file reader here)`,
      );
    let obj: BpfObject;
    try {
      obj = loadBpfObject(readObject(file), { target });
    } catch (e) {
      throw new RefError(at, `object ${file}: ${(e as Error).message}`);
    }
    objects.set(file, obj);
    return obj;
  };
  const insnsOf = (obj: BpfObject, file: string, name: string, at: PathKey[]) => {
    const p = obj.loaded.find((x) => x.name === name);
    if (!p)
      throw new RefError(
        at,
        `object ${file}: no program '${name}' (programs: ${obj.loaded.map((x) => x.name).join(', ') || 'none'})`,
      );
    let insns: string;
    try {
      insns = modelProgramText(p, target!);
    } catch (e) {
      throw new RefError(at, `object ${file}: ${(e as Error).message}`);
    }
    const progBtf = progBtfOf(obj, p);
    programBtf.set(p.name, { object: file, ...(progBtf ? { progBtf } : {}), lineInfo: p.lineInfo });
    return { p, insns };
  };

  programs?.forEach((entry, i) => {
    if (!isRecord(entry) || !('object' in entry)) return;
    const at: PathKey[] = ['programs', i];
    const { object, program, ...rest } = entry;
    const obj = open(object, [...at, 'object']);
    if (typeof program !== 'string') throw new RefError(at, 'program: the name of a program of the object');
    const { p, insns } = insnsOf(obj, object as string, program, [...at, 'program']);
    const member = rest.member ?? p.attach?.member;
    if (member === undefined)
      throw new RefError(
        at,
        `program '${program}' implements no struct_ops member in ${object}: give member`,
      );
    programs[i] = {
      name: program,
      member,
      ...(p.sleepable ? { sleepable: true } : {}),
      ...rest,
      insns,
    };
  });

  instances?.forEach((entry, i) => {
    if (!isRecord(entry) || !('object' in entry)) return;
    const at: PathKey[] = ['instances', i];
    const { object, map: mapName, ...rest } = entry;
    const obj = open(object, [...at, 'object']);
    if (mapName !== undefined && typeof mapName !== 'string')
      throw new RefError([...at, 'map'], 'map: the name of a struct_ops map of the object');
    let map: ReturnType<typeof structOpsMapOf>;
    try {
      map = structOpsMapOf(obj, mapName);
    } catch (e) {
      throw new RefError([...at, 'map'], `object ${object}: ${(e as Error).message}`);
    }
    const bound: Record<string, string> = {};
    const data = structOpsDataValues(map, target!);
    for (const m of map.structOps!.members) {
      if (!m.program) continue;
      bound[m.member] = m.program;
      const listed = (value.programs as unknown[] | undefined)?.some(
        (x) => isRecord(x) && x.name === m.program,
      );
      if (listed) continue;
      const { p, insns } = insnsOf(obj, object as string, m.program, at);
      value.programs = [
        ...((value.programs as unknown[] | undefined) ?? []),
        { name: p.name, member: m.member, ...(p.sleepable ? { sleepable: true } : {}), insns },
      ];
    }
    const given = isRecord(rest.data) ? rest.data : {};
    const values = { ...data, ...given };
    instances[i] = {
      name: map.name,
      ...rest,
      programs: bound,
      ...(Object.keys(values).length ? { data: values } : {}),
    };
  });
}
