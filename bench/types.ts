/** One line of `npm run bench`: a measured figure, and its target or reference when one exists. */
export interface BenchRow {
  area: string;
  what: string;
  value: number;
  unit: string;
  /** e.g. "≤ 60 ms" or "bpftool: 412 ms"; empty when there is nothing to compare with. */
  reference?: string;
  /** true/false when a target exists and was met/missed. */
  ok?: boolean;
  /**
   * The reference's figure in the same unit, measured in the same run (ubpf, bpftool, the
   * kernel): the table prints value / referenceValue as a ratio.
   */
  referenceValue?: number;
  /** Which direction is better; inferred from the unit when unset (…/s higher, ms lower). */
  better?: 'higher' | 'lower';
  /**
   * Name of the figure in bench/last-run.json, stable across runs; default: area and
   * `what` without its parenthesised details (which hold run-dependent numbers).
   */
  key?: string;
}

export type BenchSuite = () => Promise<BenchRow[]>;
