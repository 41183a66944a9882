// Verifier model speed over the public corpus (programs/s, processed insns/s) and on a
// 6-insn loop that runs to the 1M processed-insn limit: `kmodel verify` as a whole process
// (CPU time, peak RSS) against the kernel loading the same program.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfRegistry } from '../core/btf/registry';
import { type CorpusCase, caseToLoadAttr } from '../core/verifier/corpus';
import { bpfCheck } from '../core/verifier/index';
import { loadReferenceVmlinuxBtfSync } from '../main/host/btf-files';
import { fmt, kernelReference, measureProcess, processTimeUnit, ratioRow } from './reference';
import type { BenchRow, BenchSuite } from './types';

// The kernel (6.18, this machine, bench/bpf-prog-load.py) where it cannot run here: CPU ms to
// reject the 1M loop at log level 0 and 1, and processed insns/s on a 3,003-insn program.
const RECORDED_LOOP_MS = { 0: 590, 1: 1630 } as const;
const RECORDED_KERNEL_INSNS_PER_S = 1.4e6;
const LOOP_CASE = 'hand-0096';
const MEMORY_TARGET_MIB = 100;

export const run: BenchSuite = async (): Promise<BenchRow[]> => {
  const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
  const cases = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CorpusCase);
  // The four cases that hit the 1M-insn limit dominate; measure them apart.
  const big = (c: CorpusCase) => (c.kernel.processed_insns ?? 0) >= 1_000_000;
  const rows: BenchRow[] = [];
  for (const [what, set] of [
    ['corpus without 1M-insn cases', cases.filter((c) => !big(c))],
    ['1M-insn-limit cases', cases.filter(big)],
  ] as const) {
    let insns = 0;
    // CPU seconds of this process: comparable when other work shares the machine.
    const t0 = process.cpuUsage();
    for (const c of set) insns += bpfCheck(caseToLoadAttr(c), { btf }).processedInsns ?? 0;
    const used = process.cpuUsage(t0);
    const s = (used.user + used.system) / 1e6;
    rows.push({ area: 'verifier', what: `${what}: programs`, value: set.length / s, unit: 'programs/s' });
    rows.push(
      ratioRow(
        { area: 'verifier', what: `${what}: processed insns`, value: insns / s, unit: 'insns/s' },
        {
          name: 'the kernel',
          value: RECORDED_KERNEL_INSNS_PER_S,
          target: 0.5,
          note: 'recorded: 2.2 ms for 3,003 insns',
        },
      ),
    );
  }
  rows.push(...loopRows(cases.find((c) => c.id === LOOP_CASE)!));
  return rows;
};

/** The 1M-insn loop in `kmodel verify` and in the kernel, at log levels 1 (the default) and 0. */
function loopRows(c: CorpusCase): BenchRow[] {
  const file = join(mkdtempSync(join(tmpdir(), 'kmodel-bench-')), `${c.id}.hex`);
  writeFileSync(file, c.insns);
  const rows: BenchRow[] = [];
  for (const level of [1, 0] as const) {
    const ours = measureProcess(
      'node',
      ['bin/kmodel.mjs', 'verify', file, '--prog-type', c.prog_type, '--log-level', String(level)],
      { okStatus: [1] },
    );
    if (!ours) continue;
    // E2BIG; with a log, ENOSPC too (the log was cut to its last MiB).
    const kernel = kernelReference()
      ? measureProcess('python3', ['bench/bpf-prog-load.py', file, '1', String(level), '7,28'])
      : undefined;
    const what = `1M-insn loop (${c.id}), log level ${level}: kmodel verify`;
    rows.push(
      ratioRow(
        { area: 'verifier', what: `${what}, whole process`, value: ours.ms, unit: processTimeUnit },
        {
          name: 'the kernel',
          value: kernel?.ms ?? RECORDED_LOOP_MS[level],
          target: 2,
          note: kernel ? 'bpf(BPF_PROG_LOAD) via bench/bpf-prog-load.py' : 'recorded',
        },
      ),
    );
    if (ours.peakMiB !== undefined) {
      rows.push({
        area: 'verifier',
        what: `${what}, peak RSS`,
        value: ours.peakMiB,
        unit: 'MiB',
        reference: `≤ ${fmt(MEMORY_TARGET_MIB)} MiB`,
        ok: ours.peakMiB <= MEMORY_TARGET_MIB,
      });
    }
  }
  return rows;
}
