// bpf_prog_load() as the modeled kernel runs it: bpf_check (do_check and the fixups,
// with whatever the attach target supplies: struct_ops pro/epilogue hooks, kfuncs, ctx
// access rules), then the x86-64 JIT of the verified program. `kmodel verify`, `kmodel
// jit` and a model's member programs (core/model/pipeline.ts) all load through here, so
// the program a listing shows is the one the comparison measured.
import type { Insn } from '../isa/insn';
import { BPF_JMP, BPF_TAIL_CALL } from '../isa/opcodes';
import { jitAddressSpaceOf } from '../jit/x86/address-space';
import { mapImm64 } from '../jit/x86/corpus-case';
import { JitError } from '../jit/x86/emit-ops';
import { type JitResult, type JitSubprog, jitProgram, jitProgramFuncs } from '../jit/x86/jit';
import { analyzeXlated } from '../jit/xlated-input';
import type { FixupOutput } from '../verifier/fixups/index';
import { bpfCheck, type LoadAttr, type VerifyEnv, type VerifyResult } from '../verifier/index';
import { type AddressSpace, x86_64AddressSpace } from './address-space';
import type { X86Config } from './x86-config';

export interface ProgLoadResult {
  verifier: VerifyResult;
  /** The address space the program was verified and JITed in (kfunc and helper symbols). */
  addressSpace: AddressSpace;
  /** x86-64 image of the xlated program, when the verifier accepted it and the JIT ran. */
  jit?: XlatedJit;
  /** Why the JIT refused an accepted program. */
  jitError?: string;
}

export interface XlatedJit {
  result: JitResult;
  /** Each function's first insn and stack depth, as JITed. */
  funcs: { start: number; stackDepth: number }[];
}

export interface ProgLoadOptions {
  /** Stop after bpf_check (default: JIT too). */
  jit?: boolean;
}

export function bpfProgLoad(attr: LoadAttr, env: VerifyEnv, opts: ProgLoadOptions = {}): ProgLoadResult {
  const addressSpace = env.addressSpace ?? x86_64AddressSpace();
  const verifier = bpfCheck(attr, { ...env, addressSpace });
  const out: ProgLoadResult = { verifier, addressSpace };
  if (verifier.verdict !== 'accept' || !verifier.fixups || !verifier.xlated || opts.jit === false) return out;
  try {
    out.jit = jitVerified(verifier.fixups, verifier.xlated, addressSpace, env.profile?.x86);
  } catch (e) {
    if (!(e instanceof JitError)) throw e;
    out.jitError = e.message;
  }
  return out;
}

/** BPF_PROG_LOAD up to bpf_check's answer, for views that show the verifier alone. */
export function verifyOnly(attr: LoadAttr, env: VerifyEnv): VerifyResult {
  return bpfProgLoad(attr, env, { jit: false }).verifier;
}

/**
 * The JIT of a verified program: prog->insnsi as the fixups left it (not the xlated dump,
 * which turns BPF_PROBE_MEM loads back into plain ones and so loses their exception-table
 * code), in the verifier's function bounds and stack depths. Tail-call facts and map
 * addresses are read from the dump (same indices).
 */
export function jitVerified(
  fixups: FixupOutput,
  xlated: readonly Insn[],
  kernel: AddressSpace,
  x86?: X86Config,
): XlatedJit {
  const an = analyzeXlated(xlated);
  const funcs = fixups.subprogs.map((s) => ({ start: s.start, stackDepth: s.stackDepth }));
  const reach = (start: number) => an.funcs.find((f) => f.start === start)?.tailCallReachable ?? false;
  // A tail call the verifier gave a poke descriptor (constant key in range) carries its index + 1
  // in imm: the JIT emits it direct, whatever the dump's analysis can tell.
  const direct = new Set(an.directTailCalls);
  fixups.insns.forEach((x, i) => {
    if (x.code === (BPF_JMP | BPF_TAIL_CALL) && x.imm !== 0) direct.add(i);
  });
  return jitFuncs(
    fixups.insns,
    funcs.map((f) => ({ ...f, tailCallReachable: reach(f.start) })),
    direct,
    mapImm64(xlated),
    kernel,
    'relative',
    x86,
  );
}

/**
 * JITs an xlated dump (`kmodel jit --xlated`): function bounds, stack depths and
 * tail-call facts are derived from the program, as analyzeXlated explains.
 */
export function jitXlated(program: readonly Insn[], kernel: AddressSpace, x86?: X86Config): XlatedJit {
  const an = analyzeXlated(program);
  return jitFuncs(program, an.funcs, an.directTailCalls, mapImm64(program), kernel, 'subprog-index', x86);
}

/** One function is bpf_int_jit_compile's pass set; several go through jit_subprogs. */
function jitFuncs(
  insns: readonly Insn[],
  subprogs: readonly JitSubprog[],
  directTailCalls: ReadonlySet<number>,
  imm64: (i: number) => bigint,
  kernel: AddressSpace,
  pseudoCallImm: 'relative' | 'subprog-index',
  x86?: X86Config,
): XlatedJit {
  const as = jitAddressSpaceOf(kernel);
  const funcs = subprogs.map((f) => ({ start: f.start, stackDepth: f.stackDepth }));
  if (subprogs.length === 1) {
    const f = subprogs[0]!;
    const result = jitProgram(
      {
        insns,
        stackDepth: f.stackDepth,
        tailCallReachable: f.tailCallReachable ?? false,
        directTailCalls,
        imm64,
        features: x86,
      },
      as,
    );
    return { result, funcs };
  }
  const result = jitProgramFuncs(
    {
      insns,
      subprogs: subprogs.map((f) => ({ ...f })),
      directTailCalls,
      imm64,
      pseudoCallImm,
      features: x86,
    },
    as,
  );
  return { result, funcs };
}
