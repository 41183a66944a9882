// The SCC visits of 6.18's is_state_visited (maybe_enter_scc, maybe_exit_scc, add_scc_backedge),
// kept for the lines level 2 prints: a loop's first checkpoint opens a visit of its call chain,
// hits inside it are backedges, and the visit closes when that checkpoint's branches are done.
import type { Verifier } from './do-check';
import { computeScc } from './scc';
import type { VerifierState } from './state';

interface SccVisit {
  entry: VerifierState | null;
  backedges: number;
}

export class SccVisits {
  private readonly scc: number[];
  private readonly visits = new Map<string, SccVisit>();

  constructor(private readonly v: Verifier) {
    this.scc = computeScc(v.env.insns);
  }

  /** compute_scc_callchain: call sites down to the outermost frame standing in a loop, and its SCC. */
  private callchain(st: VerifierState): { key: string; text: string } | undefined {
    const sites: number[] = [];
    for (let i = 0; i <= st.curframe; i++) {
      const idx = i === st.curframe ? st.insnIdx : st.frames[i + 1]!.callsite;
      const scc = this.scc[idx] ?? 0;
      if (scc) {
        // format_callchain stops at the first zero call site.
        const shown = sites.indexOf(0) >= 0 ? sites.slice(0, sites.indexOf(0)) : sites;
        return { key: `${sites.join(',')}/${scc}`, text: `(${[...shown, scc].join(',')})` };
      }
      if (i === st.curframe) return undefined;
      sites.push(idx);
    }
    return undefined;
  }

  enter(ck: VerifierState): void {
    const c = this.callchain(ck);
    if (!c) return;
    let visit = this.visits.get(c.key);
    if (!visit) {
      visit = { entry: null, backedges: 0 };
      this.visits.set(c.key, visit);
    }
    if (!visit.entry) {
      visit.entry = ck;
      this.v.verbose(`SCC enter ${c.text}\n`);
    }
  }

  exit(st: VerifierState): void {
    const c = this.callchain(st);
    const visit = c && this.visits.get(c.key);
    if (!visit || visit.entry !== st) return;
    this.v.verbose(`SCC exit ${c.text}\n`);
    visit.entry = null;
    visit.backedges = 0;
  }

  /** incomplete_read_marks: the checkpoint's loop visit has backedges waiting. */
  hasBackedges(sl: VerifierState): boolean {
    const c = this.callchain(sl);
    return !!c && (this.visits.get(c.key)?.backedges ?? 0) > 0;
  }

  addBackedge(sl: VerifierState): void {
    const c = this.callchain(sl);
    const visit = c && this.visits.get(c.key);
    if (!visit) return;
    this.v.verbose(`SCC backedge ${c.text}\n`);
    visit.backedges++;
  }
}
