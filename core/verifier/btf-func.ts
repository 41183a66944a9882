// Program BTF and func_info (kernel/bpf/verifier.c check_btf_func, kernel/bpf/btf.c
// btf_prepare_func_args): which subprogram is which BTF FUNC, its linkage, and what the
// verifier assumes about a global function's arguments from their BTF types.
import type { Btf } from '../btf/btf';
import { skipMods } from './mem-access';
import type { ProgTypeName } from './progtypes/names';
import { EINVAL, VerifierError } from './verifier-error';

/** One bpf_func_info record: the subprogram starting at insnOff is BTF FUNC typeId. */
export interface BtfFuncInfo {
  insnOff: number;
  typeId: number;
}

/** The program BTF a load carries (prog_btf_fd) with its func_info, as libbpf sends an object's. */
export interface ProgBtf {
  btf: Btf;
  funcInfo: readonly BtfFuncInfo[];
}

export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;

/** What a global function's argument is taken to be (bpf_subprog_arg_info). */
export type SubprogArg =
  | { kind: 'scalar' }
  | { kind: 'ctx' }
  | { kind: 'mem'; size: number; nullable: boolean }
  /** `__arg_trusted` (PTR_TO_BTF_ID | PTR_TRUSTED, `__arg_nullable`: or NULL) or `__arg_untrusted` of a kernel struct. */
  | { kind: 'btf_id'; btfId: number; flag: 'trusted' | 'untrusted'; nullable: boolean }
  /** `__arg_arena`: a pointer into the program's arena (a scalar without one). */
  | { kind: 'arena' };

/** bpf_func_info_aux plus the subprogram's cached argument types. */
export interface FuncAux {
  name: string;
  typeId: number;
  linkage: number;
  /** Set once btf_prepare_func_args succeeded (args_cached). */
  args?: SubprogArg[];
  /** A call site reached it (global functions are verified after the main program). */
  called: boolean;
  verified: boolean;
  /** BTF disagreed with a call: the static function's BTF is no longer trusted. */
  unreliable: boolean;
}

const fail = (msg: string, errno = EINVAL): never => {
  throw new VerifierError(errno, msg);
};

/**
 * check_btf_func_early + check_btf_func: one record per subprogram, in order, each at its
 * subprogram's first insn and naming a BTF FUNC. Returns each subprogram's aux.
 */
export function checkBtfFunc(pb: ProgBtf, subprogStarts: readonly number[]): FuncAux[] {
  const { btf, funcInfo } = pb;
  let prev = -1;
  for (const [i, r] of funcInfo.entries()) {
    if (i === 0 && r.insnOff !== 0) fail(`nonzero insn_off ${r.insnOff} for the first func info record`);
    if (i > 0 && r.insnOff <= prev)
      fail(`same or smaller insn offset (${r.insnOff}) than previous func info record (${prev})`);
    if (!btf.hasType(r.typeId) || btf.kindNameOf(r.typeId) !== 'FUNC')
      fail(`invalid type id ${r.typeId} in func info`);
    prev = r.insnOff;
  }
  if (funcInfo.length !== subprogStarts.length)
    fail("number of funcs in func_info doesn't match number of subprogs");
  return funcInfo.map((r, i) => {
    if (subprogStarts[i] !== r.insnOff) fail("func_info BTF section doesn't match subprog start");
    const f = btf.typeOfKind(r.typeId, 'FUNC');
    return {
      name: f.name,
      typeId: r.typeId,
      linkage: f.linkage,
      called: false,
      verified: false,
      unreliable: false,
    };
  });
}

/** The BTF FUNC_PROTO's return is a scalar (int or enum, modifiers skipped). */
export function returnsScalar(btf: Btf, typeId: number): boolean {
  const proto = btf.type(btf.typeOfKind(typeId, 'FUNC').type);
  if (proto.kind !== 'FUNC_PROTO') return false;
  const k = btf.kindNameOf(skipMods(btf, proto.ret));
  return k === 'INT' || k === 'ENUM' || k === 'ENUM64';
}

/** The struct a program type's context pointer points to, as C programs spell it. */
const CTX_STRUCT: Partial<Record<ProgTypeName, string>> = {
  socket_filter: '__sk_buff',
  sched_cls: '__sk_buff',
  cgroup_skb: '__sk_buff',
  xdp: 'xdp_md',
  raw_tracepoint: 'bpf_raw_tracepoint_args',
  kprobe: 'pt_regs',
};

const ARG_TAGS = ['ctx', 'nonnull', 'nullable', 'trusted', 'untrusted', 'arena'] as const;
const TAG_CTX = 1;
const TAG_NONNULL = 2;
const TAG_NULLABLE = 4;
const TAG_TRUSTED = 8;
const TAG_UNTRUSTED = 16;
const TAG_ARENA = 32;

const kindStr = (btf: Btf, id: number): string => (id === 0 ? 'UNKNOWN' : btf.kindNameOf(id));

/** `arg:NAME` decl tags on argument `arg` of FUNC `fnId`, as bits. */
function argTags(btf: Btf, fnId: number, arg: number): number {
  let tags = 0;
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kindNameOf(id) !== 'DECL_TAG') continue;
    const t = btf.typeOfKind(id, 'DECL_TAG');
    if (t.type !== fnId || t.componentIdx !== arg || !t.name.startsWith('arg:')) continue;
    const k = ARG_TAGS.indexOf(t.name.slice(4) as (typeof ARG_TAGS)[number]);
    if (k < 0) fail(`arg#${arg} has unsupported set of tags`, 95);
    tags |= 1 << k;
  }
  return tags;
}

/** A pointer whose pointee (through typedefs and modifiers) is the program type's ctx struct. */
function isProgCtxPtr(btf: Btf, ptrId: number, progType: ProgTypeName): boolean {
  const want = CTX_STRUCT[progType];
  if (!want) return false;
  let id = btf.typeOfKind(ptrId, 'PTR').type;
  for (let d = 0; d < 32 && id; d++) {
    const t = btf.type(id);
    if (t.name === want && (t.kind === 'STRUCT' || t.kind === 'TYPEDEF')) return true;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') return false;
    if (!('type' in t) || t.kind === 'PTR') return false;
    id = t.type;
  }
  return false;
}

/** btf_resolve_size: the byte size of a sized type (arrays multiplied out), or a negative errno. */
function resolveSize(btf: Btf, id: number): number {
  let mult = 1;
  for (let d = 0; d < 32; d++) {
    id = skipMods(btf, id);
    if (id === 0) return -EINVAL;
    const t = btf.type(id);
    if (t.kind === 'ARRAY') {
      mult *= t.nelems;
      id = t.type;
      continue;
    }
    if (t.kind === 'PTR') return 8 * mult;
    if ('size' in t && typeof t.size === 'number' && t.kind !== 'DATASEC') return t.size * mult;
    return -EINVAL;
  }
  return -EINVAL;
}

/**
 * btf_prepare_func_args: the verifier's view of subprogram `sub`'s arguments. A static
 * function whose BTF says something unsupported just gets no BTF-based checks (null); a
 * global one is an error with the kernel's log line.
 */
export function prepareFuncArgs(
  btf: Btf,
  aux: FuncAux,
  progType: ProgTypeName,
  log: (line: string) => void,
  /** vmlinux BTF: where `__arg_trusted` / `__arg_untrusted` find the kernel's struct (btf_get_ptr_to_btf_id). */
  kernel?: Btf,
): SubprogArg[] | null {
  if (aux.args) return aux.args;
  const global = aux.linkage === BTF_FUNC_GLOBAL;
  const name = aux.name;
  const refuse = (msg: string, errno = EINVAL): null => {
    if (!global) return null;
    log(msg);
    throw new VerifierError(errno, msg, true);
  };
  const proto = btf.type(btf.typeOfKind(aux.typeId, 'FUNC').type);
  if (proto.kind !== 'FUNC_PROTO') return refuse(`Invalid type of function ${name}()`, 14);
  if (proto.params.length > 5)
    return refuse(`Global function ${name}() with ${proto.params.length} > 5 args. Buggy compiler.`);
  if (!returnsScalar(btf, aux.typeId))
    return refuse(`Global function ${name}() doesn't return scalar. Only those are supported.`);
  const args: SubprogArg[] = [];
  for (const [i, p] of proto.params.entries()) {
    const tags = global ? argTags(btf, aux.typeId, i) : 0;
    const t = skipMods(btf, p.type);
    const isPtr = btf.kindNameOf(t) === 'PTR';
    if (tags & TAG_CTX || (isPtr && isProgCtxPtr(btf, t, progType))) {
      if (tags & ~TAG_CTX) return refuse(`arg#${i} has invalid combination of tags`);
      args.push({ kind: 'ctx' });
      continue;
    }
    if (isPtr && tags & (TAG_TRUSTED | TAG_UNTRUSTED)) {
      if (tags & TAG_TRUSTED && tags & TAG_NONNULL) return refuse(`arg#${i} has invalid combination of tags`);
      if (tags & TAG_UNTRUSTED && tags & ~TAG_UNTRUSTED)
        return refuse(`arg#${i} untrusted cannot be combined with any other tags`);
      // btf_get_ptr_to_btf_id: the kernel's struct of the same name.
      const pointee = btf.type(skipMods(btf, btf.typeOfKind(t, 'PTR').type));
      const kernId = pointee.kind === 'STRUCT' ? kernel?.findByName(pointee.name, 'STRUCT') : undefined;
      if (kernId === undefined)
        return refuse(
          `arg#${i}: no kernel struct '${pointee.name}' in vmlinux BTF for a trusted/untrusted tag (kmodel)`,
        );
      args.push({
        kind: 'btf_id',
        btfId: kernId,
        flag: tags & TAG_TRUSTED ? 'trusted' : 'untrusted',
        nullable: !!(tags & TAG_NULLABLE),
      });
      continue;
    }
    if (isPtr && tags & TAG_ARENA) {
      if (tags & ~TAG_ARENA) return refuse(`arg#${i} arena cannot be combined with any other tags`);
      args.push({ kind: 'arena' });
      continue;
    }
    if (global && isPtr) {
      // Plain memory is nullable unless __arg_nonnull: __arg_nullable is not a tag for it.
      if (tags & TAG_NULLABLE) return refuse(`arg#${i} has invalid combination of tags`);
      const pointee = skipMods(btf, btf.typeOfKind(t, 'PTR').type);
      const size = resolveSize(btf, pointee);
      if (size < 0) {
        const pn = pointee ? btf.type(pointee).name : '';
        return refuse(
          `arg#${i} reference type('${kindStr(btf, pointee)} ${pn}') size cannot be determined: ${size}`,
        );
      }
      args.push({ kind: 'mem', size, nullable: !(tags & TAG_NONNULL) });
      continue;
    }
    if (tags & (TAG_NONNULL | TAG_NULLABLE))
      return refuse(`arg#${i} has pointer tag, but is not a pointer type`);
    const k = btf.kindNameOf(t);
    if (k === 'INT' || k === 'ENUM' || k === 'ENUM64') {
      args.push({ kind: 'scalar' });
      continue;
    }
    return refuse(`Arg#${i} type ${kindStr(btf, t)} in ${name}() is not supported yet.`);
  }
  aux.args = args;
  return args;
}
