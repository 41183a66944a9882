// `kmodel model from-object`: a subsystem model skeleton (models/*.yaml
// format) for the struct_ops type an object's struct_ops map implements: the
// members from the target BTF, the object's kfuncs as a kfunc set, and each
// bound program's instructions as the object loads them. What an object cannot
// tell (verifier ops, helpers, writable fields, first kernel release) is
// written as a default and marked for review.
import { parseDocument } from 'yaml';
import type { Btf } from '../btf/btf';
import { findMember, funcProtoOf, resolveType, typeString } from '../btf/layout';
import { disasmLoadedProgram } from './describe';
import { ObjectError } from './error';
import type { BpfMap, BpfObject, LoadedProgram } from './types';

/** C spelling of a parameter or return type with a name, as model decls write it ("struct sock *sk"). */
function declOf(btf: Btf, typeId: number, name: string): string {
  const t = typeString(btf, typeId);
  return t.endsWith('*') ? `${t}${name}` : `${t} ${name}`;
}

/** "u32 tcp_reno_ssthresh(struct sock *sk)" from a vmlinux FUNC. */
export function kfuncDecl(btf: Btf, funcId: number): string {
  const proto = funcProtoOf(btf, funcId);
  const params = proto.params.map((p, i) => declOf(btf, p.type, p.name || `arg${i}`)).join(', ');
  return `${declOf(btf, proto.ret, btf.nameOf(funcId))}(${params || 'void'})`;
}

const yamlString = (s: string) => JSON.stringify(s);

/** The struct_ops map the skeleton describes: `mapName`, or the object's only one. */
export function structOpsMapOf(obj: BpfObject, mapName?: string): BpfMap {
  const maps = obj.maps.filter((m) => m.structOps);
  if (mapName !== undefined) {
    const m = maps.find((x) => x.name === mapName);
    if (!m)
      throw new ObjectError(
        `no struct_ops map '${mapName}' (struct_ops maps: ${maps.map((x) => x.name).join(', ') || 'none'})`,
      );
    return m;
  }
  if (maps.length === 0)
    throw new ObjectError('the object has no struct_ops map (.struct_ops or .struct_ops.link)');
  if (maps.length > 1)
    throw new ObjectError(
      `the object has ${maps.length} struct_ops maps (${maps.map((x) => x.name).join(', ')}): name one`,
    );
  return maps[0]!;
}

export function modelSkeleton(obj: BpfObject, target: Btf, source: string, mapName?: string): string {
  const map = structOpsMapOf(obj, mapName);
  const so = map.structOps!;
  const kern = target.typeOfKind(so.btfId, 'STRUCT');
  const out: string[] = [];
  out.push(`# Model skeleton for ${so.struct}, written by \`kmodel model from-object\` from ${source}`);
  out.push(`# (struct_ops map '${map.name}'). Lines marked REVIEW are defaults an object cannot tell.`);
  out.push(`subsystem: ${so.struct}`);
  out.push(`title: ${yamlString(`${so.struct} (from ${map.name})`)}`);
  out.push('# REVIEW: the first mainline release carrying this struct_ops type.');
  out.push('kernel: v6.18');
  out.push('profile: v6.18');
  out.push('owner: vmlinux');
  out.push('sources:');
  out.push(`  - ${yamlString(source)}`);
  out.push('');
  out.push('struct_ops:');
  out.push(`  name: ${so.struct}`);
  out.push(`  btf: ${so.struct}`);
  out.push("  # REVIEW: the subsystem's bpf_verifier_ops callbacks, helpers and writable fields.");
  out.push('  verifier_ops: [get_func_proto, is_valid_access, btf_struct_access]');
  out.push('  members:');
  for (const m of kern.members) {
    let isOp = false;
    try {
      isOp = target.kindOf(resolveType(target, m.type)) === 2 && funcProtoOf(target, m.type) !== undefined;
    } catch {
      isOp = false;
    }
    if (!isOp) {
      out.push(`    - { name: ${m.name}, kind: data }`);
      continue;
    }
    const proto = funcProtoOf(target, m.type);
    const params = proto.params.map((p) => typeString(target, p.type)).join(', ');
    const ret = typeString(target, proto.ret);
    out.push(
      `    - { name: ${m.name}, decl: ${yamlString(`${ret}${ret.endsWith('*') ? '' : ' '}(*${m.name})(${params || 'void'})`)} }`,
    );
  }
  const kfuncs = obj.externs.filter((e) => e.kind === 'kfunc' && e.targetBtfId !== undefined);
  out.push('');
  if (kfuncs.length) {
    out.push('kfunc_sets:');
    out.push(`  - name: ${so.struct}_kfuncs`);
    out.push('    # REVIEW: the kernel set these kfuncs are registered in (name, hook, filter).');
    out.push('    hook: [STRUCT_OPS]');
    out.push('    kfuncs:');
    for (const e of kfuncs) out.push(`      - { decl: ${yamlString(kfuncDecl(target, e.targetBtfId!))} }`);
    out.push('');
  }
  const programs = objectModelPrograms(obj, target, map);
  out.push(programs.length ? 'programs:' : 'programs: []');
  for (const p of programs) {
    out.push(`  - name: ${p.name}`);
    out.push(`    member: ${p.member}`);
    if (p.sleepable) out.push('    sleepable: true');
    out.push('    insns: |');
    for (const line of p.insns.trimEnd().split('\n')) out.push(`      ${line}`);
  }
  return `${out.join('\n')}\n`;
}

export interface ModelProgramEntry {
  name: string;
  member: string;
  sleepable?: boolean;
  /** Verifier-log syntax, one instruction a line; kfunc calls as `call NAME`. */
  insns: string;
}

/** A loaded program as a model's `insns` text; ObjectError when it uses maps (models have none). */
export function modelProgramText(p: LoadedProgram, target: Btf): string {
  if (p.maps.length)
    throw new ObjectError(
      `program '${p.name}' uses maps (${p.maps.map((x) => x.name).join(', ')}): models have none`,
    );
  // Kfunc calls by name (`call NAME`): the model resolves them itself.
  const lines = disasmLoadedProgram(p, target).map((line) =>
    line.replace(/^\d+: \([0-9a-f]{2}\) /, '').replace(/^(call \w+)#\d+$/, '$1'),
  );
  return `${lines.join('\n')}\n`;
}

/** The programs a struct_ops map binds, as model `programs` entries. */
export function objectModelPrograms(obj: BpfObject, target: Btf, map: BpfMap): ModelProgramEntry[] {
  return map
    .structOps!.members.filter((m) => m.program)
    .map((m) => {
      const p = obj.loaded.find((x) => x.name === m.program)!;
      return {
        name: p.name,
        member: m.member,
        ...(p.sleepable ? { sleepable: true } : {}),
        insns: modelProgramText(p, target),
      };
    });
}

/**
 * A shipped model of the same struct_ops type with its `programs` replaced by
 * the object's: the subsystem's facts stay, the programs are the object's.
 */
export function modelWithObjectPrograms(
  baseYaml: string,
  obj: BpfObject,
  target: Btf,
  source: string,
  mapName?: string,
): string {
  const map = structOpsMapOf(obj, mapName);
  const doc = parseDocument(baseYaml);
  const programs = objectModelPrograms(obj, target, map);
  const base = doc.toJS() as { programs?: { name: string }[]; review?: { on: string }[] };
  doc.set('programs', doc.createNode(programs));
  // Review notes on the base's programs go with them.
  const gone = new Set((base.programs ?? []).map((p) => p.name));
  for (const p of programs) gone.delete(p.name);
  for (const m of map.structOps!.members) gone.delete(m.member);
  if (base.review?.some((r) => gone.has(r.on)))
    doc.set('review', doc.createNode(base.review.filter((r) => !gone.has(r.on))));
  // The base's instances name its own programs: the object's map is the one instance now.
  if (doc.has('instances')) {
    const bound = Object.fromEntries(programs.map((p) => [p.member, p.name]));
    const data = structOpsDataValues(map, target);
    const inst = Object.keys(data).length
      ? { name: map.name, programs: bound, data }
      : { name: map.name, programs: bound };
    doc.set('instances', doc.createNode([inst]));
  }
  doc.commentBefore = ` Programs from ${source} (struct_ops map '${map.name}'), written by \`kmodel model from-object\`;\n the rest is the shipped model of ${map.structOps!.struct}.\n${doc.commentBefore ?? ''}`;
  return doc.toString();
}

/** The data members of a struct_ops map that are not all zero, as a model instance's `data`. */
export function structOpsDataValues(map: BpfMap, target: Btf): Record<string, number | string> {
  const data: Record<string, number | string> = {};
  for (const m of map.structOps?.members ?? []) {
    if (!m.value) continue;
    const v = dataValue(target, map.structOps!.btfId, m.member, m.value);
    if (v !== undefined) data[m.member] = v;
  }
  return data;
}

/**
 * A data member's bytes as an instance's `data` value: a char array's text up to its NUL
 * (all of it when there is none), an integer of up to 8 bytes (little-endian), else the
 * bytes in hex; undefined when they are all zero (what an absent value means).
 */
function dataValue(
  target: Btf,
  structId: number,
  member: string,
  bytes: Uint8Array,
): number | string | undefined {
  if (bytes.every((b) => b === 0)) return undefined;
  let type: number | undefined;
  try {
    type = findMember(target, structId, member)?.type;
  } catch {
    type = undefined;
  }
  const t = type === undefined ? undefined : target.type(resolveType(target, type));
  if (t?.kind === 'ARRAY') {
    const elem = target.type(resolveType(target, t.type));
    if (elem.kind === 'INT' && elem.size === 1) {
      const end = bytes.indexOf(0);
      return String.fromCharCode(...bytes.subarray(0, end < 0 ? bytes.length : end));
    }
  }
  if ((t?.kind === 'INT' || t?.kind === 'ENUM' || t?.kind === 'ENUM64') && bytes.length <= 8) {
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`;
  }
  return `0x${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
