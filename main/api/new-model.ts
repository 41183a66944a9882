// The "new model" wizard's skeleton: a model of one struct_ops type, taken from the
// reference BTF or declared in `types`, that checks clean and already shows every
// part a review looks at — members, a generated prologue whose call the kernel may
// emit as a kfunc or a BPF_CALL_N wrapper (call_design per profile), the hidden kfunc
// and its wrapper, and one sample program. The user then edits the facts in.

import type { Btf } from '../../core/btf/btf';
import { skipModifiers, typeString } from '../../core/btf/layout';
import type { BtfRegistry } from '../../core/btf/registry';

export interface SkeletonOptions {
  /** The model's subsystem name (an identifier). */
  subsystem: string;
  /** The struct_ops type (bpf_struct_ops.name / the BTF struct). */
  structOps: string;
  /** Take the struct from the reference BTF, or declare a small one in `types`. */
  from: 'btf' | 'declared';
}

interface SkeletonMember {
  name: string;
  /** C declaration of an op (a function pointer); absent for data members. */
  decl?: string;
  /** The op's first parameter type, when it is a pointer (what the prologue passes on). */
  arg0?: string;
  /** An op whose prototype the skeleton cannot spell. */
  unsupported?: boolean;
}

// Typedefs a model may use undeclared (core/model/cdecl.ts builtinTypedefs).
const BUILTIN_TYPEDEF = /^(?:__)?[us](?:8|16|32|64)$|^size_t$|^bool$/;

/** `void * *` → `void **`: the C spelling of typeString's text. */
const tidy = (t: string): string => t.replace(/\* (?=\*)/g, '*');
const declare = (type: string, name: string): string => `${type}${type.endsWith('*') ? '' : ' '}${name}`;

/**
 * Collects the typedefs a type mentions that a model must declare (`ssize_t`, `gate_desc`),
 * each as a one-line C typedef, dependencies first. False when one names a function type
 * or an anonymous struct (not spelled by the wizard).
 */
function typedefsOf(btf: Btf, id: number, out: Map<string, string>, depth = 0): boolean {
  if (depth > 32) return false;
  const t = btf.type(id);
  switch (t.kind) {
    case 'TYPEDEF': {
      if (BUILTIN_TYPEDEF.test(t.name) || out.has(t.name)) return true;
      const target = btf.type(skipModifiers(btf, t.type));
      if (target.kind === 'FUNC_PROTO') return false;
      // typedef struct { … } pgd_t: the body would have to be written out.
      if ((target.kind === 'STRUCT' || target.kind === 'UNION' || target.kind === 'ENUM') && !target.name)
        return false;
      if (target.kind === 'PTR' && btf.type(skipModifiers(btf, target.type)).kind === 'FUNC_PROTO')
        return false;
      if (!typedefsOf(btf, t.type, out, depth + 1)) return false;
      out.set(t.name, `typedef ${declare(tidy(typeString(btf, t.type)), t.name)};`);
      return true;
    }
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
    case 'ARRAY':
      return typedefsOf(btf, t.type, out, depth + 1);
    case 'FUNC_PROTO':
      return false;
    default:
      return true;
  }
}

/**
 * Members of a BTF struct: function pointers as ops with their C prototype (the typedefs
 * they use go to `typedefs`), the rest as data; a prototype the wizard cannot spell
 * (varargs, function typedefs) leaves its op unsupported.
 */
function btfMembers(btf: Btf, id: number, typedefs: Map<string, string>): SkeletonMember[] {
  const t = btf.type(id);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return [];
  return t.members.map((m) => {
    let target = m.type;
    for (let k = 0; k < 8; k++) {
      const x = btf.type(target);
      if (x.kind !== 'TYPEDEF' && x.kind !== 'CONST' && x.kind !== 'VOLATILE') break;
      target = x.type;
    }
    const ptr = btf.type(target);
    const proto = ptr.kind === 'PTR' ? btf.type(ptr.type) : undefined;
    if (!m.name || proto?.kind !== 'FUNC_PROTO') return { name: m.name };
    const params = proto.params.filter((p) => p.type !== 0);
    const mine = new Map<string, string>();
    const spellable =
      params.length === proto.params.length &&
      [proto.ret, ...params.map((p) => p.type)].every((x) => typedefsOf(btf, x, mine));
    if (!spellable) return { name: m.name, unsupported: true };
    for (const [k, v] of mine) typedefs.set(k, v);
    const spelled = params.map((p, i) => declare(tidy(typeString(btf, p.type)), p.name || `arg${i}`));
    const decl = declare(tidy(typeString(btf, proto.ret)), `(*${m.name})(${spelled.join(', ') || 'void'})`);
    const first =
      params[0] && btf.type(params[0].type).kind === 'PTR'
        ? tidy(typeString(btf, params[0].type))
        : undefined;
    return { name: m.name, decl, ...(first ? { arg0: first } : {}) };
  });
}

const quote = (s: string): string => JSON.stringify(s);

/** The skeleton's YAML text; throws when a BTF struct is asked for that the BTF lacks. */
export function skeletonModel(o: SkeletonOptions, btf?: BtfRegistry): string {
  const sub = o.subsystem;
  const so = o.structOps;
  let members: SkeletonMember[];
  let types = '';
  if (o.from === 'btf') {
    const ref = btf?.struct(so);
    if (!ref) throw new Error(`struct ${so} is not in the reference BTF`);
    const typedefs = new Map<string, string>();
    members = btfMembers(ref.obj.btf, ref.id, typedefs).filter((m) => m.name);
    if (!members.some((m) => m.decl)) throw new Error(`struct ${so} has no function-pointer members`);
    // The kernel typedefs the prototypes use, declared for the model's C parser.
    if (typedefs.size) types = ['types: |', ...[...typedefs.values()].map((d) => `  ${d}`), ''].join('\n');
  } else {
    types = [
      'types: |',
      `  struct ${so}_args { u64 a; };`,
      `  struct ${so} {`,
      `    int (*run)(struct ${so}_args *args);`,
      `    void (*release)(struct ${so}_args *args);`,
      '  };',
      '',
    ].join('\n');
    members = [
      { name: 'run', arg0: `struct ${so}_args *` },
      { name: 'release', arg0: `struct ${so}_args *` },
    ];
  }
  const ops = members.filter((m) => m.decl || o.from === 'declared');
  // The prologue goes on the first op whose first argument is a pointer it can pass on.
  const host = ops.find((m) => m.arg0) ?? ops[0]!;
  const helper = `${sub}_prologue`;
  const argDecl = host.arg0 ? declare(host.arg0, 'arg') : 'void';
  const memberLines = members.flatMap((m) => {
    const lines = [`    - name: ${m.name}`];
    if (m.decl) lines.push(`      decl: ${quote(m.decl)}`);
    else if (m.unsupported)
      lines[0] = `    - { name: ${m.name}, kind: unsupported, note: prototype not spelled by the wizard }`;
    else if (o.from === 'btf') lines[0] = `    - { name: ${m.name}, kind: data }`;
    if (m === host) {
      lines.push(
        '      # What the kernel runs before the program (gen_prologue). The verifier appends',
        "      # a copy of the program's insn 0; ctx (r1) is the array of the op's arguments.",
        '      prologue:',
        '        insns: |',
        '          r6 = r1',
        ...(host.arg0 ? ['          r1 = *(u64 *)(r1 +0)'] : []),
        `          call ${helper}`,
        '          r1 = r6',
      );
    }
    return lines;
  });
  return [
    `# A model of struct ${so}, started by the new-model wizard: replace the`,
    "# placeholders with the subsystem's facts and cite them in `sources`.",
    '# Keys: models/README.md; check it with `kmodel model check FILE`.',
    `subsystem: ${sub}`,
    `title: ${sub} (${so})`,
    'kernel: v6.18',
    'profile: v6.18',
    'owner: vmlinux',
    'sources:',
    '  - include/linux/bpf.h',
    '',
    ...(types ? [types] : []),
    'struct_ops:',
    `  name: ${so}`,
    ...(o.from === 'btf' ? [`  btf: ${so}`] : []),
    '  verifier_ops: [get_func_proto, is_valid_access, gen_prologue]',
    '  get_func_proto: bpf_base_func_proto',
    '  members:',
    ...memberLines,
    '',
    "# How each kernel emits the prologue's call: a kfunc (BTF id) or a BPF_CALL_N wrapper.",
    'call_design:',
    '  v6.18: kfunc',
    '  bpf-next-2026: wrapper',
    '',
    'kfunc_sets:',
    `  - name: ${sub}_kfunc_ids`,
    '    hook: [STRUCT_OPS]',
    '    kfuncs:',
    '      # Only generated code calls it: a filter hides it from programs.',
    `      - decl: ${quote(`void ${helper}(${argDecl})`)}`,
    '        flags: [KF_TRUSTED_ARGS]',
    '        hidden: true',
    '',
    'wrappers:',
    `  - { name: ${helper}, wraps: ${helper}, args: ${host.arg0 ? 1 : 0} }`,
    '',
    'programs:',
    `  - name: ${host.name}_zero`,
    `    member: ${host.name}`,
    '    insns: |',
    '      r0 = 0',
    '      exit',
    '',
  ].join('\n');
}
