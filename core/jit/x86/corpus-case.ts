// JIT one corpus case from its xlated program alone and compare the image with the kernel's,
// masking what depends on where things landed (call/jmp displacements, map addresses).
// Shared by the fidelity test and bench/jit.ts; the case object is the corpus JSON (see
// test/fixtures/corpus/README.md).

import { bytesFromHex, insnsFromHex } from '../../isa/encoding';
import type { Insn } from '../../isa/insn';
import { allHelperProtos } from '../../kernel/helpers';
import { analyzeXlated } from '../xlated-input';
import { indirectThunkName, type JitAddressSpace } from './address-space';
import { type JitFuncsResult, type JitResult, jitProgram, jitProgramFuncs } from './jit';

export interface CorpusCall {
  at: number;
  kind: 'call' | 'jmp';
  symbol: string | null;
  symbol_offset?: number;
}

export interface CorpusXlatedCall {
  insn: number;
  kind: 'helper' | 'kfunc' | 'subprog' | 'tail_call';
  symbol: string | null;
}

export interface CorpusCase {
  id: string;
  maps: { type: string; key_size: number; value_size: number; max_entries: number }[];
  kernel: {
    verdict: string;
    xlated: string | null;
    xlated_calls: CorpusXlatedCall[];
    jited: string | null;
    jited_func_lens?: number[];
    jited_calls?: CorpusCall[];
    jited_imm64?: { at: number; insn: number }[];
  };
}

const CALL_BASE = 0xffffffff81000000n;
const PROGRAM_AREA = 0xffffffffa0000000n;
const RETURN_THUNK = 0xffffffff82a00000n;
const INDIRECT_THUNKS = 0xffffffff82a01000n;
const MAP_AREA = 0xffff888100000000n;
const OTHER_THUNKS = [
  '__x86_return_thunk',
  'srso_return_thunk',
  'call_depth_return_thunk',
  'its_return_thunk',
  '__x86_indirect_jump_thunk_rcx',
  '__x86_indirect_its_thunk_rcx',
  '__x86_call_depth',
];

/** A modeled address space that names each helper/kfunc imm of the case the way xlated_calls does. */
export function corpusAddressSpace(
  insns: readonly Insn[],
  calls: readonly CorpusXlatedCall[],
): JitAddressSpace {
  const names = new Map<bigint, string>();
  for (const c of calls) {
    if ((c.kind === 'helper' || c.kind === 'kfunc') && c.symbol)
      names.set(CALL_BASE + BigInt(insns[c.insn]!.imm | 0), c.symbol);
  }
  names.set(RETURN_THUNK, 'srso_alias_return_thunk');
  for (let k = 0; k < 16; k++) names.set(INDIRECT_THUNKS + 32n * BigInt(k), indirectThunkName(k));
  // The other configurations' thunks (x86-config.ts), at made-up addresses near the first ones.
  for (const [k, name] of OTHER_THUNKS.entries()) names.set(RETURN_THUNK + 0x40n * BigInt(k + 1), name);
  const byName = new Map([...names].map(([a, n]) => [n, a]));
  // Looked up by offset from __bpf_call_base as a double: BigInt-keyed Map lookups are slow.
  const near = (a: bigint) => Number(BigInt.asIntN(64, a - CALL_BASE));
  const byOffset = new Map([...names].map(([a, n]) => [near(a), n]));
  return {
    callBase: CALL_BASE,
    programArea: PROGRAM_AREA,
    returnThunk: RETURN_THUNK,
    indirectThunk: (reg) => INDIRECT_THUNKS + 32n * BigInt(reg),
    symbolAt: (a) => byOffset.get(near(a)),
    lookup: (name) => byName.get(name),
  };
}

// Argument types that make the verifier check (and size) stack memory behind the register.
const MEM_ARG = /^ARG_PTR_TO_(MEM|UNINIT_MEM|MAP_KEY|MAP_VALUE|STACK|LONG|INT|DYNPTR|UNINIT_MAP_VALUE)/;
// Map-op implementations do_misc_fixups calls directly: (map, key[, value, flags]).
const MAP_OP_MEM_ARGS: Record<string, number[]> = {
  lookup_elem: [2],
  update_elem: [2, 3],
  delete_elem: [2],
  push_elem: [2],
  pop_elem: [2],
  peek_elem: [2],
};

/** Memory-argument registers of a kernel function the xlated program calls, by symbol. */
export function memArgRegsOf(symbol: string | null): number[] | undefined {
  if (!symbol) return undefined;
  const proto = allHelperProtos().find((p) => p.symbol === symbol);
  if (proto) return proto.args.flatMap((a, k) => (MEM_ARG.test(a) ? [k + 1] : []));
  const op = /_map_(lookup_elem|update_elem|delete_elem|push_elem|pop_elem|peek_elem)$/.exec(symbol);
  if (op) return MAP_OP_MEM_ARGS[op[1]!];
  if (/^bpf_skb_load_helper_(8|16|32)(_no_cache)?$/.test(symbol)) return [];
  return undefined;
}

/** Map addresses for ld_imm64 with src 1 (map, imm = index) / 2 (map value, second imm = offset). */
export function mapImm64(insns: readonly Insn[]): (i: number) => bigint {
  return (i) => {
    const a = insns[i]!;
    const b = insns[i + 1]!;
    if (a.src === 1) return MAP_AREA + BigInt(a.imm) * 0x1000n;
    if (a.src === 2) return MAP_AREA + BigInt(a.imm) * 0x1000n + 0x110n + BigInt(b.imm >>> 0);
    return (BigInt(b.imm >>> 0) << 32n) | BigInt(a.imm >>> 0);
  };
}

export interface CaseJit {
  insns: Insn[];
  result: JitResult | JitFuncsResult;
  stackDepths: number[];
}

/** Everything decoded and analysed up front; `jit()` runs only the JIT (for timing). */
export interface CorpusJitJob {
  insns: Insn[];
  stackDepths: number[];
  jit(): JitResult | JitFuncsResult;
}

export function corpusJitJob(c: CorpusCase): CorpusJitJob {
  const insns = insnsFromHex(c.kernel.xlated!);
  const as = corpusAddressSpace(insns, c.kernel.xlated_calls);
  const callSymbols = new Map(c.kernel.xlated_calls.map((x) => [x.insn, x.symbol]));
  const an = analyzeXlated(insns, {
    maxEntries: (m) => (c.maps[m]?.type === 'prog_array' ? c.maps[m]!.max_entries : undefined),
    memArgRegs: (i) => memArgRegsOf(callSymbols.get(i) ?? null),
  });
  const imm64 = mapImm64(insns);
  const stackDepths = an.funcs.map((f) => f.stackDepth);
  if (an.funcs.length === 1) {
    const f = an.funcs[0]!;
    const input = {
      insns,
      stackDepth: f.stackDepth,
      tailCallReachable: f.tailCallReachable,
      directTailCalls: an.directTailCalls,
      imm64,
    };
    return { insns, stackDepths, jit: () => jitProgram(input, as) };
  }
  const input = {
    insns,
    subprogs: an.funcs.map((f) => ({
      start: f.start,
      stackDepth: f.stackDepth,
      tailCallReachable: f.tailCallReachable,
    })),
    directTailCalls: an.directTailCalls,
    imm64,
  };
  return { insns, stackDepths, jit: () => jitProgramFuncs(input, as) };
}

export function jitCorpusCase(c: CorpusCase): CaseJit {
  const job = corpusJitJob(c);
  return { insns: job.insns, result: job.jit(), stackDepths: job.stackDepths };
}

export interface CaseComparison {
  exact: boolean;
  /** Why not, in a few words (first difference). */
  reason?: string;
  sizeModel: number;
  sizeKernel: number;
}

export function compareWithKernel(c: CorpusCase, jit: Pick<CaseJit, 'result'>): CaseComparison {
  const kernel = bytesFromHex(c.kernel.jited!);
  const model = jit.result.image;
  const base = { sizeModel: model.length, sizeKernel: kernel.length };
  const masked = new Set<number>();
  for (const call of c.kernel.jited_calls ?? []) for (let k = 1; k < 5; k++) masked.add(call.at + k);
  for (const m of c.kernel.jited_imm64 ?? []) for (let k = 0; k < 8; k++) masked.add(m.at + k);
  const n = Math.min(kernel.length, model.length);
  for (let k = 0; k < n; k++) {
    if (!masked.has(k) && kernel[k] !== model[k]) {
      const near = (b: Uint8Array) => Buffer.from(b.subarray(k, k + 8)).toString('hex');
      return {
        ...base,
        exact: false,
        reason: `byte ${k} differs: kernel ${near(kernel)}… model ${near(model)}…`,
      };
    }
  }
  if (kernel.length !== model.length)
    return { ...base, exact: false, reason: `size ${model.length} != ${kernel.length}` };
  const mine = new Map(jit.result.calls.map((x) => [x.at, x]));
  for (const call of c.kernel.jited_calls ?? []) {
    const m = mine.get(call.at);
    if (!m || m.kind !== call.kind) return { ...base, exact: false, reason: `no ${call.kind} at ${call.at}` };
    if (m.symbol !== call.symbol)
      return { ...base, exact: false, reason: `call at ${call.at}: ${m.symbol} != ${call.symbol}` };
  }
  if (jit.result.calls.length !== (c.kernel.jited_calls ?? []).length) {
    return {
      ...base,
      exact: false,
      reason: `${jit.result.calls.length} external calls != ${(c.kernel.jited_calls ?? []).length}`,
    };
  }
  const imms = new Set(jit.result.imm64.map((m) => m.at));
  for (const m of c.kernel.jited_imm64 ?? []) {
    if (!imms.has(m.at)) return { ...base, exact: false, reason: `no map movabs at ${m.at}` };
  }
  const lens = c.kernel.jited_func_lens;
  if (lens && 'funcLens' in jit.result && lens.join() !== jit.result.funcLens.join()) {
    return { ...base, exact: false, reason: `function lengths ${jit.result.funcLens} != ${lens}` };
  }
  return { ...base, exact: true };
}
