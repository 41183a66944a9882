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
}

export type BenchSuite = () => Promise<BenchRow[]>;
