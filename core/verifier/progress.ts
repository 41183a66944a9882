// How far a running do_check is, for callers that show long verifications (the
// app's Verifier view, `kmodel verify` on a terminal) or bound them (the fuzzer).

/** A snapshot of do_check: processed insns against the complexity limit, states, the insn being checked. */
export interface VerifierProgress {
  /** Insns processed so far (the count the 1M-insn limit applies to). */
  processed: number;
  /** BPF_COMPLEXITY_LIMIT_INSNS. */
  limit: number;
  /** States kept for pruning so far (the statistics line's total_states) and the most alive at once. */
  states: number;
  peakStates: number;
  /** The insn index being checked. */
  insn: number;
}

/**
 * Told every `every` processed insns (default PROGRESS_EVERY_INSNS) while do_check runs. A report that
 * throws stops the walk: bpfCheck lets that error out (a caller's own cap or cancellation).
 */
export interface VerifierProgressSink {
  every?: number;
  report(p: VerifierProgress): void;
}

/** ~30–60 reports a second at this model's speed; one decrement and compare per insn otherwise. */
export const PROGRESS_EVERY_INSNS = 8192;
