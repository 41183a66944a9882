// What a debugger may watch of do_check: each insn as it is checked, and each prune.
// The verifier calls these only when an observer is set, so a normal load pays nothing.
import type { Verifier } from '../do-check';
import type { VerifierState } from '../state';

export interface VerifierObserver {
  /** Before insn idx is checked on the current path (v.cur is the state it sees). */
  beforeInsn(v: Verifier, idx: number): void;
  /** After insn idx was checked without rejection (v.cur is the state it left). */
  afterInsn(v: Verifier, idx: number): void;
  /** The current path stopped at idx: `equivalent` is the explored state it was found equal to. */
  pruned(v: Verifier, idx: number, equivalent: VerifierState): void;
}
