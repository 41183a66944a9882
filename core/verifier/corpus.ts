// Corpus check: run the verifier model on corpus cases (test/fixtures/corpus/README.md) and
// compare with what the kernel answered. Shared by `kmodel corpus check` and the corpus test.
import { bytesFromHex, bytesToHex, insnsFromHex, insnsToHex } from '../isa/encoding';
import type { Insn } from '../isa/insn';
import { TestRunProgram, testRunSupported, type XlatedKernel } from '../isa/testrun';
import { compareWithKernel, type CorpusCase as JitCorpusCase } from '../jit/x86/corpus-case';
import { type AddressSpace, x86_64AddressSpace, x86_64AddressSpaceOfBuild } from '../kernel/address-space';
import { bpfProgLoad } from '../kernel/prog-load';
import { type LoadAttr, reasonLine, type VerifyEnv, type VerifyResult } from './index';
import type { ProgTypeName } from './progtypes/index';
import { kernelLayout } from './progtypes/layout';

export interface CorpusCase {
  id: string;
  origin?: string;
  prog_type: LoadAttr['progType'];
  attach: { struct: string; member: string | null; btf_id?: number; member_index?: number } | null;
  maps: {
    type: 'array' | 'hash' | 'prog_array';
    key_size: number;
    value_size: number;
    max_entries: number;
  }[];
  insns: string;
  /** BPF_PROG_LOAD's expected_attach_type (progtypes.jsonl; absent = 0). */
  expected_attach_type?: number;
  /** BPF_PROG_LOAD's prog_flags when not 0 (16 = BPF_F_SLEEPABLE). */
  prog_flags?: number;
  description?: string;
  kernel: {
    /** uname -r of the kernel that judged the case. */
    release?: string;
    verdict: 'accept' | 'reject';
    errno: number;
    log: string;
    /** The log filled the kernel's buffer (the end is missing). */
    log_truncated?: boolean;
    processed_insns: number | null;
    xlated: string | null;
    xlated_calls: { insn: number; kind: string; symbol: string | null }[] | null;
    jited?: string | null;
    /** Test runs: packet programs give data_in/data_out, syscall programs ctx_in/ctx_out. */
    runs?: { retval: number; data_in?: string; data_out?: string; ctx_in?: string; errno?: number }[];
  };
}

/** One output line of `kmodel corpus check`. */
export interface CaseResult {
  id: string;
  verdict: 'accept' | 'reject';
  errno: number;
  error: string | null;
  processed_insns: number | null;
  xlated: string | null;
  xlated_calls: { insn: number; kind: string; symbol: string | null }[];
  jited: string | null;
  jited_calls: { at: number; kind: string; symbol: string | null }[];
  /** BPF_PROG_TEST_RUN results of the model on the kernel's data_in (null: not run). */
  runs: { retval: number; data_out?: string }[] | null;
  /** Which program the runs executed: kmodel's xlated one, or the loaded one (no fixups). */
  runs_on?: 'xlated' | 'loaded';
}

export interface CaseComparison {
  id: string;
  /** How the case was made (corpus `origin`: random, hand, clang, …). */
  origin: string;
  progType: string;
  /** False: the model has no rules for the program type; nothing else was compared. */
  modelled: boolean;
  kernelVerdict: 'accept' | 'reject';
  modelVerdict: 'accept' | 'reject';
  reasonMatch: boolean | null;
  processedMatch: boolean | null;
  xlatedMatch: boolean | null;
  jitedMatch: boolean | null;
  /** Test runs whose retval agrees with the kernel's, of the kernel's runs (null: kernel has none). */
  runsAgree: number | null;
  kernelRuns: number;
  /** False when the model accepted but its test-run model does not cover the program. */
  runsModelled: boolean | null;
  /** Runs whose data_out the kernel recorded and the model reproduces byte for byte. */
  runsOutAgree: number;
  /** Runs with a recorded data_out. */
  kernelRunsOut: number;
  /** The model's runs executed its xlated program (true) or the loaded one (false); null: none ran. */
  runsOnXlated: boolean | null;
  kernelReason: string | null;
  modelReason: string | null;
  /** The model's log (level 1, cut as the corpus cut the kernel's) equals the kernel's line for line (kernel rejects; else null). */
  logMatch: boolean | null;
}

// Program types the model has rules for; a Record so a new ProgTypeName must be listed here.
const MODELLED: Record<ProgTypeName, true> = {
  socket_filter: true,
  sched_cls: true,
  xdp: true,
  struct_ops: true,
  cgroup_skb: true,
  tracepoint: true,
  kprobe: true,
  raw_tracepoint: true,
  syscall: true,
};

/** Why the model cannot run the case (its program type is not modelled), or undefined. */
export function unmodelledReason(c: Pick<CorpusCase, 'prog_type'>): string | undefined {
  return Object.hasOwn(MODELLED, c.prog_type) ? undefined : `program type ${c.prog_type} is not modelled`;
}

/** The one result line and comparison of a case whose program type is not modelled. */
export function unmodelledCase(c: CorpusCase): {
  result: { id: string; unmodelled: string };
  cmp: CaseComparison;
} {
  const why = unmodelledReason(c) ?? 'not modelled';
  return {
    result: { id: c.id, unmodelled: why },
    cmp: {
      id: c.id,
      origin: c.origin ?? 'unknown',
      progType: c.prog_type,
      modelled: false,
      kernelVerdict: c.kernel.verdict,
      modelVerdict: 'reject', // not counted: summarize() skips unmodelled cases
      reasonMatch: null,
      processedMatch: null,
      xlatedMatch: null,
      jitedMatch: null,
      runsAgree: c.kernel.verdict === 'accept' && c.kernel.runs?.length ? 0 : null,
      kernelRuns: c.kernel.verdict === 'accept' ? (c.kernel.runs ?? []).filter(hasInput).length : 0,
      runsModelled: c.kernel.verdict === 'accept' && c.kernel.runs?.length ? false : null,
      runsOutAgree: 0,
      kernelRunsOut: 0,
      runsOnXlated: null,
      kernelReason: c.kernel.verdict === 'reject' ? norm(reasonLine(c.kernel.log)) : null,
      modelReason: why,
      logMatch: null,
    },
  };
}

export function caseToLoadAttr(c: CorpusCase, logLevel: 0 | 1 | 2 = 1): LoadAttr {
  return {
    insns: insnsFromHex(c.insns),
    progType: c.prog_type,
    attach: c.attach
      ? { struct: c.attach.struct, member: c.attach.member, memberIndex: c.attach.member_index }
      : null,
    maps: c.maps.map((m) => ({
      type: m.type,
      keySize: m.key_size,
      valueSize: m.value_size,
      maxEntries: m.max_entries,
    })),
    logLevel,
    ...(c.expected_attach_type !== undefined ? { expectedAttachType: c.expected_attach_type } : {}),
    ...((c.prog_flags ?? 0) & BPF_F_SLEEPABLE ? { sleepable: true } : {}),
  };
}

const BPF_F_SLEEPABLE = 16;

const norm = (s: string | null): string | null => (s === null ? null : s.replace(/\s+/g, ' ').trim());

/** xlated equality reading helper/kfunc call imms through their symbols. */
export function xlatedEqual(
  model: readonly Insn[],
  modelCalls: readonly { insn: number; symbol: string | null }[],
  kernelHex: string,
  kernelCalls: readonly { insn: number; symbol: string | null }[],
): boolean {
  return xlatedFirstDiff(model, modelCalls, kernelHex, kernelCalls) === undefined;
}

/** Index of the first insn where the xlated programs differ (the shorter one's length if one is a prefix). */
export function xlatedFirstDiff(
  model: readonly Insn[],
  modelCalls: readonly { insn: number; symbol: string | null }[],
  kernelHex: string,
  kernelCalls: readonly { insn: number; symbol: string | null }[],
): number | undefined {
  const k = insnsFromHex(kernelHex);
  const kc = new Map(kernelCalls.map((c) => [c.insn, c.symbol]));
  const mc = new Map(modelCalls.map((c) => [c.insn, c.symbol]));
  const n = Math.min(k.length, model.length);
  for (let i = 0; i < n; i++) {
    const a = model[i]!;
    const b = k[i]!;
    if (kc.has(i) && b.code === 0x85 && b.src !== 1) {
      if (a.code !== b.code || a.dst !== b.dst || a.src !== b.src || a.off !== b.off) return i;
      if (kc.get(i) !== null || mc.get(i) !== null) {
        if (kc.get(i) !== mc.get(i)) return i;
        continue;
      }
    }
    if (a.code !== b.code || a.dst !== b.dst || a.src !== b.src || a.off !== b.off || a.imm !== b.imm)
      return i;
  }
  return k.length === model.length ? undefined : n;
}

/** The corpus keeps a log whole up to 16 KiB, else its last 16 KiB from a line start. */
export const CORPUS_LOG_KEEP = 16384;

/** A log as the corpus records it: cut like the kernel's when the case says the kernel's was cut. */
export function corpusLog(c: Pick<CorpusCase, 'kernel'>, log: string): string {
  if (!c.kernel.log_truncated || log.length <= CORPUS_LOG_KEEP) return log;
  const cut = log.length - CORPUS_LOG_KEEP;
  return log[cut - 1] === '\n' ? log.slice(cut) : log.slice(log.indexOf('\n', cut) + 1);
}

/** First line (1-based) where two logs differ, ignoring trailing blanks; undefined when equal. */
export function firstLineDiff(
  kernel: string,
  model: string,
): { line: number; kernel: string | null; model: string | null } | undefined {
  const a = kernel.replace(/\s+$/, '').split('\n');
  const b = model.replace(/\s+$/, '').split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]?.trimEnd() ?? null;
    const y = b[i]?.trimEnd() ?? null;
    if (x !== y) return { line: i + 1, kernel: x, model: y };
  }
  return undefined;
}

export interface RunCaseOptions {
  /** Also JIT the accepted program (as bpf_prog_load does) and compare its image with the kernel's. */
  jit?: boolean;
}

export function runCase(
  c: CorpusCase,
  env: VerifyEnv,
  opts: RunCaseOptions = {},
): { result: CaseResult; cmp: CaseComparison; vr: VerifyResult; jitReason?: string } {
  const unmodelled = unmodelledReason(c);
  if (unmodelled) throw new Error(unmodelled);
  // The one door every load goes through: bpf_check, its fixups, then the JIT of what it left.
  const load = bpfProgLoad(caseToLoadAttr(c), buildEnv(c, env), { jit: opts.jit === true });
  const vr = load.verifier;
  const result: CaseResult = {
    id: c.id,
    verdict: vr.verdict,
    errno: vr.errno,
    error: vr.error,
    processed_insns: vr.processedInsns,
    xlated: vr.xlated ? insnsToHex(vr.xlated) : null,
    xlated_calls: vr.xlatedCalls,
    jited: null,
    jited_calls: [],
    runs: null,
  };
  const k = c.kernel;
  let jitedMatch: boolean | null = null;
  let jitReason: string | undefined;
  if (opts.jit && vr.verdict === 'accept') {
    if (load.jit) {
      const image = load.jit.result;
      result.jited = bytesToHex(image.image);
      result.jited_calls = image.calls.map((x) => ({ at: x.at, kind: x.kind, symbol: x.symbol ?? null }));
      if (k.verdict === 'accept' && k.jited) {
        const j = compareWithKernel(c as JitCorpusCase, { result: image });
        jitedMatch = j.exact;
        jitReason = j.reason;
      }
    } else if (k.verdict === 'accept') {
      jitedMatch = false;
      jitReason = `JIT failed: ${load.jitError ?? 'no image'}`;
    }
  }
  const kernelRuns = k.verdict === 'accept' ? (k.runs ?? []).filter(hasInput) : [];
  let runsAgree: number | null = kernelRuns.length ? 0 : null;
  let runsOutAgree = 0;
  if (kernelRuns.length && vr.verdict === 'accept') {
    const t = testRunCase(c, { vr, env: buildEnv(c, env) });
    if (t) {
      result.runs = t.runs;
      result.runs_on = t.on;
      runsAgree = t.runs.filter((r, i) => r.retval === kernelRuns[i]!.retval && r.retval >= 0).length;
      runsOutAgree = t.runs.filter((r, i) => {
        const want = kernelRuns[i]!.data_out;
        return want !== undefined && r.retval >= 0 && r.data_out === want;
      }).length;
    }
  }
  const kernelReason = k.verdict === 'reject' ? norm(reasonLine(k.log)) : null;
  const cmp: CaseComparison = {
    id: c.id,
    origin: c.origin ?? 'unknown',
    progType: c.prog_type,
    modelled: true,
    // The figure the issue targets: reject logs, when the kernel's was not cut short.
    logMatch: k.verdict === 'reject' ? firstLineDiff(k.log ?? '', corpusLog(c, vr.log)) === undefined : null,
    kernelVerdict: k.verdict,
    modelVerdict: vr.verdict,
    kernelReason,
    modelReason: norm(vr.error),
    reasonMatch: k.verdict === 'reject' && vr.verdict === 'reject' ? kernelReason === norm(vr.error) : null,
    jitedMatch,
    runsAgree,
    kernelRuns: kernelRuns.length,
    runsModelled: kernelRuns.length && vr.verdict === 'accept' ? result.runs !== null : null,
    runsOutAgree,
    kernelRunsOut: kernelRuns.filter((r) => r.data_out !== undefined).length,
    runsOnXlated: result.runs_on === undefined ? null : result.runs_on === 'xlated',
    processedMatch:
      k.verdict === 'accept' && vr.verdict === 'accept' ? k.processed_insns === vr.processedInsns : null,
    xlatedMatch:
      k.verdict === 'accept' && vr.verdict === 'accept' && k.xlated && vr.xlated
        ? xlatedEqual(vr.xlated, vr.xlatedCalls, k.xlated, k.xlated_calls ?? [])
        : k.verdict === 'accept' && vr.verdict === 'accept'
          ? false
          : null,
  };
  return { result, cmp, vr, jitReason };
}

/** The case's kernel build: its own data addresses when the corpus part names another build. */
export function buildEnv(c: CorpusCase, env: VerifyEnv): VerifyEnv {
  const as = !env.addressSpace && c.kernel.release ? x86_64AddressSpaceOfBuild(c.kernel.release) : undefined;
  return as ? { ...env, addressSpace: as } : env;
}

/** A kernel test run the model can repeat: it records its input (data_in, or a syscall's ctx_in). */
const hasInput = (r: { data_in?: string; ctx_in?: string }): boolean =>
  r.data_in !== undefined || r.ctx_in !== undefined;

/** The first difference of each kind for one case (`kmodel corpus check --diff`); empty when it agrees. */
export function caseDiffs(c: CorpusCase, run: ReturnType<typeof runCase>): string[] {
  const { cmp, vr } = run;
  const k = c.kernel;
  const out: string[] = [];
  if (cmp.kernelVerdict !== cmp.modelVerdict)
    out.push(`verdict: kernel ${k.verdict}, model ${vr.verdict}${vr.error ? ` (${vr.error})` : ''}`);
  else if (cmp.reasonMatch === false)
    out.push(`reason: kernel ${JSON.stringify(cmp.kernelReason)} | model ${JSON.stringify(cmp.modelReason)}`);
  if (cmp.processedMatch === false)
    out.push(`processed_insns: kernel ${k.processed_insns}, model ${vr.processedInsns}`);
  if (cmp.xlatedMatch === false && k.xlated && vr.xlated) {
    const i = xlatedFirstDiff(vr.xlated, vr.xlatedCalls, k.xlated, k.xlated_calls ?? []) ?? 0;
    const kx = insnsFromHex(k.xlated)[i];
    const mx = vr.xlated[i];
    out.push(
      `xlated insn ${i}: kernel ${kx ? insnsToHex([kx]) : '(end)'} | model ${mx ? insnsToHex([mx]) : '(end)'}`,
    );
  }
  if (cmp.jitedMatch === false) out.push(`jited: ${run.jitReason ?? 'differs'}`);
  if (cmp.logMatch === false) {
    const d = firstLineDiff(k.log ?? '', corpusLog(c, vr.log))!;
    out.push(`log line ${d.line}: kernel ${JSON.stringify(d.kernel)} | model ${JSON.stringify(d.model)}`);
  }
  if (cmp.runsAgree !== null && cmp.runsAgree < cmp.kernelRuns) {
    const runs = run.result.runs;
    const kr = (k.runs ?? []).filter(hasInput);
    const i = runs ? runs.findIndex((r, j) => r.retval !== kr[j]!.retval || r.retval < 0) : 0;
    out.push(
      runs
        ? `test run ${i}: kernel retval ${kr[i]!.retval}, model ${runs[i]!.retval} (on ${run.result.runs_on})`
        : 'test runs: not modelled',
    );
  } else if (cmp.runsOutAgree < cmp.kernelRunsOut && run.result.runs) {
    const kr = (k.runs ?? []).filter(hasInput);
    const i = run.result.runs.findIndex(
      (r, j) => kr[j]!.data_out !== undefined && r.data_out !== kr[j]!.data_out,
    );
    const a = kr[i]!.data_out ?? '';
    const b = run.result.runs[i]!.data_out ?? '';
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    out.push(
      `test run ${i} data_out byte ${at >> 1}: kernel ${a.slice(at & ~1, (at & ~1) + 16) || '(end)'} | model ${b.slice(at & ~1, (at & ~1) + 16) || '(end)'} (on ${run.result.runs_on})`,
    );
  }
  return out;
}

/** The kernel a fixed-up program was made for, as the test-run model reaches it. */
export function xlatedKernel(env: VerifyEnv): XlatedKernel {
  const as: AddressSpace = env.addressSpace ?? x86_64AddressSpace();
  return {
    layout: kernelLayout(env.btf),
    callImm: (name) => (as.has(name) && as.reachableByCallImm(name) ? as.callImm(name) : undefined),
  };
}

/**
 * BPF_PROG_TEST_RUN of the case on each kernel run's data_in (one load: maps persist across
 * runs). With `loaded` (the model's accepted load and its env), the model's own xlated program
 * runs, so the fixups are tested too; without it, or when the test-run model cannot run that
 * form, the loaded program. null when the test-run model does not cover the program; a
 * faulting run reports -1.
 */
export function testRunCase(
  c: CorpusCase,
  loaded?: { vr: VerifyResult; env: VerifyEnv },
): { runs: { retval: number; data_out?: string }[]; on: 'xlated' | 'loaded' } | null {
  const maps = c.maps.map((m) => ({
    type: m.type,
    keySize: m.key_size,
    valueSize: m.value_size,
    maxEntries: m.max_entries,
  }));
  let p: TestRunProgram | undefined;
  let on: 'xlated' | 'loaded' = 'xlated';
  const fx = loaded?.vr.fixups;
  if (fx && loaded) {
    const kernel = xlatedKernel(loaded.env);
    if (testRunSupported(c.prog_type, fx.insns, maps, kernel))
      p = new TestRunProgram(c.prog_type, fx.insns, maps, undefined, undefined, kernel);
  }
  if (!p) {
    const insns = insnsFromHex(c.insns);
    if (!testRunSupported(c.prog_type, insns, maps)) return null;
    p = new TestRunProgram(c.prog_type, insns, maps);
    on = 'loaded';
  }
  const prog = p;
  const runs = (c.kernel.runs ?? []).filter(hasInput).map((r) => {
    try {
      const x = prog.run(bytesFromHex(r.data_in ?? r.ctx_in!));
      return { retval: x.retval, data_out: bytesToHex(x.dataOut) };
    } catch {
      return { retval: -1 };
    }
  });
  return { runs, on };
}

export interface Fidelity {
  cases: number;
  verdictAgree: number;
  unsoundAccepts: number;
  overStrictRejects: number;
  bothReject: number;
  reasonAgree: number;
  kernelAccepts: number;
  bothAccept: number;
  processedExact: number;
  xlatedExact: number;
  /** null when no JIT ran. */
  jitedExact: number | null;
  /** Kernel test runs (accepted cases) and those whose retval the model reproduces. */
  kernelRuns: number;
  runsAgree: number;
  /** Kernel runs of cases the model accepts but cannot test-run. */
  runsNotModelled: number;
  /** Kernel runs with a recorded data_out, and those whose packet the model reproduces. */
  kernelRunsOut: number;
  runsOutAgree: number;
  /** Runs the model made on its own xlated program, and on the loaded one. */
  runsOnXlated: number;
  runsOnLoaded: number;
  /** Cases of a program type the model has no rules for (counted in `cases` only). */
  unmodelled: number;
  kernelRejects: number;
  /** Kernel rejects whose log the model reproduces line for line. */
  rejectLogsIdentical: number;
}

export function summarize(cmps: readonly CaseComparison[]): Fidelity {
  const f: Fidelity = {
    cases: cmps.length,
    verdictAgree: 0,
    unsoundAccepts: 0,
    overStrictRejects: 0,
    bothReject: 0,
    reasonAgree: 0,
    kernelAccepts: 0,
    bothAccept: 0,
    processedExact: 0,
    xlatedExact: 0,
    jitedExact: cmps.some((c) => c.jitedMatch !== null) ? 0 : null,
    kernelRuns: 0,
    runsAgree: 0,
    runsNotModelled: 0,
    kernelRunsOut: 0,
    runsOutAgree: 0,
    runsOnXlated: 0,
    runsOnLoaded: 0,
    unmodelled: 0,
    kernelRejects: 0,
    rejectLogsIdentical: 0,
  };
  for (const c of cmps) {
    if (c.kernelVerdict === 'reject') f.kernelRejects++;
    if (c.kernelVerdict === 'accept') f.kernelAccepts++;
    if (!c.modelled) {
      f.unmodelled++;
      f.kernelRuns += c.kernelRuns;
      f.runsNotModelled += c.kernelRuns;
      continue;
    }
    if (c.kernelVerdict === 'reject' && c.logMatch) f.rejectLogsIdentical++;
    if (c.kernelVerdict === c.modelVerdict) f.verdictAgree++;
    if (c.kernelVerdict === 'reject' && c.modelVerdict === 'accept') f.unsoundAccepts++;
    if (c.kernelVerdict === 'accept' && c.modelVerdict === 'reject') f.overStrictRejects++;
    if (c.kernelVerdict === 'reject' && c.modelVerdict === 'reject') {
      f.bothReject++;
      if (c.reasonMatch) f.reasonAgree++;
    }
    if (c.kernelVerdict === 'accept' && c.modelVerdict === 'accept') f.bothAccept++;
    if (c.processedMatch) f.processedExact++;
    if (c.xlatedMatch) f.xlatedExact++;
    if (c.jitedMatch && f.jitedExact !== null) f.jitedExact++;
    f.kernelRuns += c.kernelRuns;
    f.runsAgree += c.runsAgree ?? 0;
    if (c.kernelRuns && c.runsModelled === false) f.runsNotModelled += c.kernelRuns;
    f.kernelRunsOut += c.kernelRunsOut;
    f.runsOutAgree += c.runsOutAgree;
    if (c.runsOnXlated === true) f.runsOnXlated += c.kernelRuns;
    if (c.runsOnXlated === false) f.runsOnLoaded += c.kernelRuns;
  }
  return f;
}

const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');

/** The fidelity table as printed by `kmodel corpus check`. */
export function fidelityTable(f: Fidelity): string {
  const rows: [string, string, string][] = [
    ['verdict agreement', `${f.verdictAgree}/${f.cases}`, pct(f.verdictAgree, f.cases)],
    ['unsound accepts (model accepts, kernel rejects)', `${f.unsoundAccepts}`, ''],
    ['over-strict rejects (model rejects, kernel accepts)', `${f.overStrictRejects}`, ''],
    [
      'rejection reason agreement (both reject)',
      `${f.reasonAgree}/${f.bothReject}`,
      pct(f.reasonAgree, f.bothReject),
    ],
    [
      'processed_insns exact (kernel accepts)',
      `${f.processedExact}/${f.kernelAccepts}`,
      pct(f.processedExact, f.kernelAccepts),
    ],
    [
      'xlated byte-exact (kernel accepts)',
      `${f.xlatedExact}/${f.kernelAccepts}`,
      pct(f.xlatedExact, f.kernelAccepts),
    ],
    f.jitedExact === null
      ? ['jited byte-exact (kernel accepts)', 'n/a', '']
      : [
          'jited byte-exact (kernel accepts)',
          `${f.jitedExact}/${f.kernelAccepts}`,
          pct(f.jitedExact, f.kernelAccepts),
        ],
    [
      'reject logs identical line for line (kernel rejects)',
      `${f.rejectLogsIdentical}/${f.kernelRejects}`,
      pct(f.rejectLogsIdentical, f.kernelRejects),
    ],
    [
      `test-run retval agreement (${f.runsNotModelled} runs not modelled)`,
      `${f.runsAgree}/${f.kernelRuns}`,
      pct(f.runsAgree, f.kernelRuns),
    ],
    [
      'test-run data_out agreement (runs recording it)',
      `${f.runsOutAgree}/${f.kernelRunsOut}`,
      pct(f.runsOutAgree, f.kernelRunsOut),
    ],
    [
      "test runs on the model's xlated program / on the loaded one",
      `${f.runsOnXlated} / ${f.runsOnLoaded}`,
      '',
    ],
  ];
  if (f.unmodelled)
    rows.push([
      'cases of an unmodelled program type',
      `${f.unmodelled}/${f.cases}`,
      pct(f.unmodelled, f.cases),
    ]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`).join('\n');
}

/** The main figures per group of cases (origin or program type), one row each, as `corpus check` prints them. */
export function fidelityByGroup(cmps: readonly CaseComparison[], by: 'origin' | 'progType'): string {
  const groups = new Map<string, CaseComparison[]>();
  for (const c of cmps) {
    const key = c[by];
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  const head = [
    by === 'origin' ? 'origin' : 'prog type',
    'cases',
    'verdict',
    'unsound',
    'over-strict',
    'reason',
    'processed',
    'xlated',
    'jited',
    'reject logs',
    'runs',
    'not modelled',
  ];
  const rows = [head];
  for (const [key, g] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    const f = summarize(g);
    rows.push([
      key,
      `${f.cases}`,
      `${f.verdictAgree}/${f.cases}`,
      `${f.unsoundAccepts}`,
      `${f.overStrictRejects}`,
      `${f.reasonAgree}/${f.bothReject}`,
      `${f.processedExact}/${f.kernelAccepts}`,
      `${f.xlatedExact}/${f.kernelAccepts}`,
      f.jitedExact === null ? 'n/a' : `${f.jitedExact}/${f.kernelAccepts}`,
      `${f.rejectLogsIdentical}/${f.kernelRejects}`,
      `${f.runsAgree}/${f.kernelRuns}`,
      `${f.unmodelled}`,
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}
