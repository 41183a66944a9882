// Semantic checks of a validated model: C declarations parse, members exist in the
// struct_ops type, calls name something callable, generated code fits the verifier's
// 16-insn buffer, designs are feasible. Produces the resolved form the checker and the
// design comparison work on. Every problem is a positioned diagnostic.
import type { Btf } from '../btf/btf';
import type { BtfRegistry } from '../btf/registry';
import { helperId } from '../isa/helper-names';
import {
  builtinTypedefs,
  type CDecl,
  CDeclError,
  type CType,
  funcOf,
  parseDecl,
  parseDecls,
  resolveType,
  type TagRef,
} from './cdecl';
import { didYouMean, nearestNames } from './did-you-mean';
import type { ModelDiagnostic, ModelSource, PathKey } from './load';
import type { ObjectProgramBtf } from './object-refs';
import { CTX_STACK_OFF, slotsOf, splitInsnText, type TextLine } from './program';
import {
  type CallDesign,
  type Model,
  type ModelKfunc,
  type ModelOwner,
  type ModelProgram,
  ownerModule,
  type ProfileName,
} from './schema';

/** INSN_BUF_SIZE (kernel/bpf/verifier.c): a hook returning this many insns or more is rejected. */
export const INSN_BUF_SIZE = 16;

export type FuncType = Extract<CType, { kind: 'func' }>;

export interface ResolvedKfunc {
  name: string;
  type: FuncType;
  flags: string[];
  hidden: boolean;
  set: string;
  hooks: string[];
  /** undefined = vmlinux. */
  module?: string;
  path: PathKey[];
  spec: ModelKfunc;
}

export interface ResolvedWrapper {
  name: string;
  wraps: string;
  args: number;
  module?: string;
  /** The wrapped function's prototype when the model declares it as a kfunc. */
  target?: ResolvedKfunc;
  path: PathKey[];
}

export interface ResolvedCall {
  name: string;
  line: TextLine;
  /** Designs this call can be emitted with, given what the model declares. */
  designs: CallDesign[];
}

export interface ResolvedGenerated {
  which: 'prologue' | 'epilogue';
  lines: TextLine[];
  calls: ResolvedCall[];
  /** Design the model states for this code (member → call_design[profile] → first feasible). */
  design: CallDesign | undefined;
  statedDesign?: CallDesign;
  /** Instructions the hook returns (prologue: + the copied insn 0). */
  count: number;
  path: PathKey[];
}

export interface ResolvedMember {
  name: string;
  index: number;
  kind: 'op' | 'data' | 'unsupported';
  func?: FuncType;
  sleepable: boolean;
  prologue?: ResolvedGenerated;
  epilogue?: ResolvedGenerated;
  path: PathKey[];
}

export interface ResolvedProgram {
  spec: ModelProgram;
  member: ResolvedMember;
  lines: TextLine[];
  path: PathKey[];
  /** Taken from a BPF object: its program BTF (func_info) and C lines, loaded with the insns. */
  object?: ObjectProgramBtf;
}

export interface ResolvedModel {
  model: Model;
  source: ModelSource;
  /** undefined = built into vmlinux. */
  module?: string;
  decls: CDecl[];
  typedefs: Map<string, CType>;
  /** struct_ops type source: declared in `types`, or the BTF registry. */
  structFrom: 'decl' | 'btf';
  members: ResolvedMember[];
  kfuncs: Map<string, ResolvedKfunc>;
  wrappers: Map<string, ResolvedWrapper>;
  programs: ResolvedProgram[];
  /** Members the model adds to reference structs (config_members), parsed. */
  configMembers: ConfigMember[];
}

/** A member a kernel config adds to a reference struct, after `after`. */
export interface ConfigMember {
  struct: string;
  after: string;
  name: string;
  type: CType;
}

export interface ResolveOptions {
  /** The reference BTF; needed when struct_ops.btf names a type. */
  btf?: BtfRegistry;
  /** Profile whose call_design entry picks the default design (default: the model's). */
  profile?: ProfileName;
}

const ownerName = (o: ModelOwner | undefined, model: Model): string | undefined =>
  ownerModule(o ?? model.owner);

export function resolveModel(
  model: Model,
  source: ModelSource,
  opts: ResolveOptions = {},
): { resolved: ResolvedModel; diagnostics: ModelDiagnostic[] } {
  const diags: ModelDiagnostic[] = [];
  const typedefs = builtinTypedefs();
  let decls: CDecl[] = [];
  // Struct names written without a body, by where they are written (checked at the end).
  const tagRefs: { path: PathKey[]; text: string; refs: TagRef[] }[] = [];
  if (model.types) {
    const refs: TagRef[] = [];
    tagRefs.push({ path: ['types'], text: model.types, refs });
    try {
      decls = parseDecls(model.types, typedefs, refs);
    } catch (e) {
      if (!(e instanceof CDeclError)) throw e;
      diags.push(source.diagAt(['types'], model.types, e.pos, e.reason));
    }
  }
  const parseOne = (text: string, path: PathKey[]): CDecl | undefined => {
    const refs: TagRef[] = [];
    tagRefs.push({ path, text, refs });
    try {
      return parseDecl(text, typedefs, refs);
    } catch (e) {
      if (!(e instanceof CDeclError)) throw e;
      diags.push(source.diagAt(path, text, e.pos, e.reason));
      return undefined;
    }
  };

  // --- struct_ops type ---------------------------------------------------------
  const so = model.struct_ops;
  const declared = decls.find((d) => d.kind === 'struct' && d.name === so.name);
  let structFrom: 'decl' | 'btf' = 'decl';
  let structMembers: Map<string, CType | undefined> | undefined;
  if (so.btf) {
    structFrom = 'btf';
    if (so.btf !== so.name)
      diags.push(source.diag(['struct_ops', 'btf'], `btf names '${so.btf}' but name is '${so.name}'`));
    if (opts.btf) {
      const ref = opts.btf.struct(so.btf);
      if (!ref) {
        diags.push(source.diag(['struct_ops', 'btf'], `struct ${so.btf} is not in the BTF registry`));
      } else {
        const t = opts.btf.type(ref);
        if (t.kind === 'STRUCT' || t.kind === 'UNION') {
          structMembers = new Map(t.members.map((m) => [m.name, undefined]));
        }
      }
    }
  } else if (declared && declared.kind === 'struct' && declared.fields) {
    structMembers = new Map(declared.fields.map((f) => [f.name, f.type]));
  } else if (diags.length === 0) {
    // (After a parse error in `types` the struct is likely just unparsed: one error is enough.)
    diags.push(
      source.diag(
        ['struct_ops', 'name'],
        `struct ${so.name} is neither declared in types nor taken from btf`,
      ),
    );
  }

  const members: ResolvedMember[] = [];
  so.members.forEach((m, index) => {
    const path: PathKey[] = ['struct_ops', 'members', index];
    if (members.some((x) => x.name === m.name))
      diags.push(source.diag([...path, 'name'], `duplicate member '${m.name}'`));
    let type: CType | undefined;
    if (structMembers && !structMembers.has(m.name)) {
      diags.push(source.diag([...path, 'name'], `struct ${so.name} has no member '${m.name}'`));
    } else {
      type = structMembers?.get(m.name);
    }
    if (m.decl) {
      const d = parseOne(m.decl, [...path, 'decl']);
      if (d) {
        if (d.kind !== 'object' || d.name !== m.name) {
          diags.push(source.diag([...path, 'decl'], `decl must declare member '${m.name}'`));
        } else {
          type = d.type;
        }
      }
    }
    const func = type ? funcOf(type) : undefined;
    const isFuncPtr = type
      ? resolveType(type).kind === 'ptr' && !!func
      : m.kind !== 'data' && m.kind !== 'unsupported';
    const kind = m.kind ?? (isFuncPtr ? 'op' : 'data');
    if (kind === 'op' && type && !func)
      diags.push(source.diag([...path, 'name'], `member '${m.name}' is not a function pointer`));
    if (kind === 'op' && !type && structFrom === 'btf' && !m.decl) {
      diags.push(
        source.diag(
          [...path, 'name'],
          `op '${m.name}' needs a decl (the BTF is not loaded or lacks it)`,
          'warning',
        ),
      );
    }
    const rm: ResolvedMember = { name: m.name, index, kind, sleepable: !!m.sleepable, path };
    if (func) rm.func = func;
    members.push(rm);
  });

  // --- kfuncs and wrappers -----------------------------------------------------------
  const kfuncs = new Map<string, ResolvedKfunc>();
  model.kfunc_sets.forEach((set, si) => {
    set.kfuncs.forEach((k, ki) => {
      const path: PathKey[] = ['kfunc_sets', si, 'kfuncs', ki, 'decl'];
      const d = parseOne(k.decl, path);
      if (!d) return;
      if (d.kind !== 'object' || d.type.kind !== 'func') {
        diags.push(source.diag(path, 'a kfunc decl must be a function prototype'));
        return;
      }
      if (set.kfuncs.some((o, oi) => oi < ki && new RegExp(`\\b${d.name}\\s*\\(`).test(o.decl))) {
        diags.push(source.diag(path, `kfunc '${d.name}' is listed twice in ${set.name}`));
      }
      if (d.type.params.length > 5) {
        diags.push(
          source.diag(
            path,
            `kfunc '${d.name}' has ${d.type.params.length} arguments; BPF calls pass at most 5`,
          ),
        );
      }
      // Several sets may list one kfunc (e.g. hid_bpf's STRUCT_OPS and SYSCALL sets): first wins.
      if (!kfuncs.has(d.name)) {
        const mod = ownerName(set.owner, model);
        const rk: ResolvedKfunc = {
          name: d.name,
          type: d.type,
          flags: k.flags,
          hidden: !!k.hidden,
          set: set.name,
          hooks: set.hook,
          path: ['kfunc_sets', si, 'kfuncs', ki],
          spec: k,
        };
        if (mod) rk.module = mod;
        kfuncs.set(d.name, rk);
      }
    });
  });

  const wrappers = new Map<string, ResolvedWrapper>();
  model.wrappers.forEach((w, wi) => {
    const path: PathKey[] = ['wrappers', wi];
    if (wrappers.has(w.name)) diags.push(source.diag([...path, 'name'], `duplicate wrapper '${w.name}'`));
    const target = kfuncs.get(w.wraps);
    if (target && target.type.params.length !== w.args) {
      diags.push(
        source.diag(
          [...path, 'args'],
          `BPF_CALL_${w.args} wraps ${w.wraps}, which takes ${target.type.params.length} argument(s)`,
        ),
      );
    }
    const rw: ResolvedWrapper = { name: w.name, wraps: w.wraps, args: w.args, path };
    const mod = ownerName(w.owner, model);
    if (mod) rw.module = mod;
    if (target) rw.target = target;
    wrappers.set(w.name, rw);
  });

  const designsFor = (name: string): CallDesign[] => {
    const out: CallDesign[] = [];
    if (kfuncs.has(name)) out.push('kfunc');
    if (wrappers.has(name) || [...wrappers.values()].some((w) => w.wraps === name)) out.push('wrapper');
    if (helperId(name) !== undefined) out.push('helper');
    return out;
  };

  // --- generated code ----------------------------------------------------------------
  const profile = opts.profile ?? model.profile;
  so.members.forEach((m, index) => {
    const rm = members[index]!;
    for (const which of ['prologue', 'epilogue'] as const) {
      const g = m[which];
      if (!g) continue;
      const path: PathKey[] = ['struct_ops', 'members', index, which];
      const hook = which === 'prologue' ? 'gen_prologue' : 'gen_epilogue';
      if (!so.verifier_ops.includes(hook))
        diags.push(source.diag(path, `${which} given but verifier_ops lacks ${hook}`));
      if (rm.kind !== 'op') diags.push(source.diag(path, `${which} on '${m.name}', which is not an op`));
      const lines = splitInsnText(g.insns);
      const ipath: PathKey[] = [...path, 'insns'];
      const calls: ResolvedCall[] = [];
      for (const l of lines) {
        if (which === 'prologue' && l.text.includes(CTX_STACK_OFF)) {
          diags.push(source.diagIn(ipath, l.line, l.col, `${CTX_STACK_OFF} exists only in epilogues`));
        }
        if (!l.callName) continue;
        const designs = designsFor(l.callName);
        if (designs.length === 0) {
          diags.push(
            source.diagIn(
              ipath,
              l.line,
              l.col + 5,
              `'${l.callName}' is not a kfunc, wrapper or helper of this model`,
            ),
          );
        }
        calls.push({ name: l.callName, line: l, designs });
      }
      const slots = lines.reduce((n, l) => n + slotsOf(l.text), 0);
      const count = slots + (which === 'prologue' ? 1 : 0);
      if (count >= INSN_BUF_SIZE) {
        diags.push(
          source.diag(
            ipath,
            `${hook} returns ${count} insns; the verifier's buffer holds ${INSN_BUF_SIZE - 1}`,
          ),
        );
      }
      if (which === 'epilogue' && lines.at(-1)?.text !== 'exit') {
        diags.push(source.diag(ipath, 'an epilogue must end with exit (it replaces the program exit)'));
      }
      const feasible = calls.length === 0 ? undefined : designsCommon(calls);
      const stated = g.design ?? model.call_design?.[profile];
      if (g.design && calls.length > 0 && !feasible?.includes(g.design)) {
        diags.push(
          source.diag([...path, 'design'], `design '${g.design}' needs every call to have a ${g.design}`),
        );
      }
      const rg: ResolvedGenerated = {
        which,
        lines,
        calls,
        design:
          calls.length === 0 ? undefined : stated && feasible?.includes(stated) ? stated : feasible?.[0],
        count,
        path,
      };
      if (stated && calls.length > 0) rg.statedDesign = stated;
      rm[which] = rg;
    }
  });

  // --- programs -----------------------------------------------------------------------
  const programs: ResolvedProgram[] = [];
  model.programs.forEach((p, pi) => {
    const path: PathKey[] = ['programs', pi];
    const member = members.find((m) => m.name === p.member);
    if (!member) {
      diags.push(source.diag([...path, 'member'], `no member '${p.member}' in ${so.name}`));
      return;
    }
    // An unsupported op may carry a program: check_member refuses it at load (a pinned rejection).
    if (member.kind !== 'op' && member.kind !== 'unsupported')
      diags.push(source.diag([...path, 'member'], `member '${p.member}' is not an op`));
    const lines = splitInsnText(p.insns);
    for (const l of lines) {
      if (l.text.includes(CTX_STACK_OFF))
        diags.push(source.diagIn([...path, 'insns'], l.line, l.col, `${CTX_STACK_OFF} is for epilogues`));
      if (l.callName && !kfuncs.has(l.callName) && helperId(l.callName) === undefined) {
        diags.push(
          source.diagIn(
            [...path, 'insns'],
            l.line,
            l.col + 5,
            `'${l.callName}' is neither a kfunc of this model nor a helper`,
          ),
        );
      }
      const k = l.callName ? kfuncs.get(l.callName) : undefined;
      if (k?.hidden) {
        diags.push(
          source.diagIn(
            [...path, 'insns'],
            l.line,
            l.col + 5,
            `calling kernel function ${k.name} is not allowed`,
          ),
        );
      }
    }
    programs.push({ spec: p, member, lines, path });
  });

  const configMembers: ConfigMember[] = [];
  model.config_members.forEach((c, i) => {
    const d = parseOne(c.decl, ['config_members', i, 'decl']);
    if (!d) return;
    if (d.kind !== 'object' || d.type.kind === 'func') {
      diags.push(source.diag(['config_members', i, 'decl'], 'a member declaration, e.g. `struct x name`'));
      return;
    }
    configMembers.push({ struct: c.struct, after: c.after, name: d.name, type: d.type });
  });

  const resolved: ResolvedModel = {
    model,
    source,
    decls,
    typedefs,
    structFrom,
    members,
    kfuncs,
    wrappers,
    programs,
    configMembers,
  };
  const mod = ownerModule(model.owner);
  if (mod) resolved.module = mod;
  if (opts.btf) diags.push(...unknownStructWarnings(tagRefs, decls, opts.btf, source));
  return { resolved, diagnostics: diags };
}

const aggregateNamesCache = new WeakMap<Btf, readonly string[]>();

/** The distinct struct and union names of a BTF, walked once per BTF object (vmlinux: ~126k types). */
function aggregateNames(base: Btf): readonly string[] {
  let names = aggregateNamesCache.get(base);
  if (!names) {
    const set = new Set<string>();
    for (let id = 1; id < base.typeCount; id++) {
      const k = base.kindNameOf(id);
      if (k === 'STRUCT' || k === 'UNION') set.add(base.nameOf(id));
    }
    names = [...set];
    aggregateNamesCache.set(base, names);
  }
  return names;
}

/**
 * A struct named but neither declared with a body in `types` nor in the reference BTF
 * becomes a BTF forward declaration: programs then cannot read its fields, and the
 * verifier's complaint comes far from the cause. Warned where it is written.
 */
function unknownStructWarnings(
  sites: readonly { path: PathKey[]; text: string; refs: TagRef[] }[],
  decls: readonly CDecl[],
  btf: BtfRegistry,
  source: ModelSource,
): ModelDiagnostic[] {
  const declared = new Set(
    decls.filter((d) => (d.kind === 'struct' || d.kind === 'union') && d.fields).map((d) => d.name),
  );
  // `struct x;` in types: an opaque type on purpose.
  const opaque = new Set(sites.flatMap((s) => s.refs.filter((r) => r.opaque).map((r) => r.name)));
  let known: string[] | undefined;
  const knownNames = (): string[] => (known ??= [...declared, ...aggregateNames(btf.vmlinux.btf)]);
  const out: ModelDiagnostic[] = [];
  const warned = new Set<string>();
  for (const site of sites)
    for (const r of site.refs) {
      if (declared.has(r.name) || opaque.has(r.name) || btf.struct(r.name)) continue;
      // One warning per name per site is enough.
      const key = `${site.path.join('.')}:${r.name}`;
      if (warned.has(key)) continue;
      warned.add(key);
      out.push({
        ...source.diagAt(
          site.path,
          site.text,
          r.pos,
          `${r.kind} ${r.name} is neither declared in types nor in the reference BTF: it stays a forward declaration, so programs cannot read its fields${didYouMean(nearestNames(r.name, knownNames()))}`,
        ),
        severity: 'warning',
      });
    }
  return out;
}

/** Designs every call of a generated block supports (a block switches mechanism as a whole). */
export function designsCommon(calls: readonly ResolvedCall[]): CallDesign[] {
  const all: CallDesign[] = ['kfunc', 'wrapper', 'helper'];
  return all.filter((d) => calls.every((c) => c.designs.includes(d)));
}

/** The wrapper a call NAME is emitted through under the wrapper design. */
export function wrapperFor(model: ResolvedModel, name: string): ResolvedWrapper | undefined {
  return model.wrappers.get(name) ?? [...model.wrappers.values()].find((w) => w.wraps === name);
}
