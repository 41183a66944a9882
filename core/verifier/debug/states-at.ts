// The verifier run as a debugger sees it: every visit of every insn on every explored path.
import type { Insn } from '../../isa/insn';
import { bpfCheck, type LoadAttr, type VerifyEnv, type VerifyResult } from '../index';
import { type InsnVisit, type RecorderLimits, StateRecorder } from './state-recorder';

export interface VerifierDebugRun {
  /** The program as loaded (indices are the visits' insn numbers). */
  insns: Insn[];
  result: VerifyResult;
  visits: InsnVisit[];
  /** The walk went past the recorder's limit: later visits are missing. */
  truncated: boolean;
}

/** bpf_check with a StateRecorder attached (log level 2 unless the attr asks otherwise). */
export function verifierDebugRun(attr: LoadAttr, env: VerifyEnv, limits?: RecorderLimits): VerifierDebugRun {
  const recorder = new StateRecorder(limits);
  const result = bpfCheck({ ...attr, logLevel: attr.logLevel ?? 2, observer: recorder }, env);
  if (result.verdict === 'reject' && result.error) recorder.rejectedAt(result.error);
  return { insns: attr.insns, result, visits: recorder.visits, truncated: recorder.truncated };
}

/** All visits of insn `idx`, in walk order. */
export const statesAt = (run: VerifierDebugRun, idx: number): InsnVisit[] =>
  run.visits.filter((v) => v.insn === idx);
