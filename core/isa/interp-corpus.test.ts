// The interpreter against BPF_PROG_TEST_RUN results of Linux 6.18 (test/fixtures/corpus):
// accepted xdp / sched_cls / socket_filter programs that call only the modelled helpers,
// run through the test-run model (testrun.ts) on their original instructions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex, bytesToHex, insnsFromHex } from './encoding';
import { REGION_BASE } from './memory';
import { type TestRunMapDef, TestRunProgram, testRunSupported } from './testrun';

interface Run {
  data_in: string;
  retval: number;
  data_out: string;
}
interface CorpusCase {
  id: string;
  prog_type: string;
  insns: string;
  maps: { type: TestRunMapDef['type']; key_size: number; value_size: number; max_entries: number }[];
  kernel: { verdict: string; runs: Run[] };
}

const corpus: CorpusCase[] = readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const mapsOf = (c: CorpusCase): TestRunMapDef[] =>
  c.maps.map((m) => ({
    type: m.type,
    keySize: m.key_size,
    valueSize: m.value_size,
    maxEntries: m.max_entries,
  }));

describe.each(['compiled', 'stepping'] as const)('%s interpreter against Linux 6.18 test runs', (engine) => {
  const eligible = corpus.filter(
    (c) =>
      c.kernel.verdict === 'accept' &&
      c.kernel.runs.length > 0 &&
      testRunSupported(c.prog_type, insnsFromHex(c.insns), mapsOf(c)),
  );

  it(`reproduces retval and packet of every run of ${eligible.length} programs`, () => {
    let runs = 0;
    let addressDependent = 0;
    const wrong: string[] = [];
    for (const c of eligible) {
      const insns = insnsFromHex(c.insns);
      // One loaded program: its maps persist across its runs, as in the kernel harness.
      const a = new TestRunProgram(c.prog_type, insns, mapsOf(c), undefined, engine);
      // A second load with the packet elsewhere: results that move with it depend on kernel pointers.
      const b = new TestRunProgram(c.prog_type, insns, mapsOf(c), REGION_BASE + 0x12345000n, engine);
      for (const r of c.kernel.runs) {
        try {
          const x = a.run(bytesFromHex(r.data_in));
          const y = b.run(bytesFromHex(r.data_in));
          const out = bytesToHex(x.dataOut);
          if (x.retval !== y.retval || out !== bytesToHex(y.dataOut)) {
            addressDependent++;
            continue;
          }
          runs++;
          if (x.retval !== r.retval)
            wrong.push(`${c.id} (${c.prog_type}): retval ${x.retval} != ${r.retval}`);
          else if (out !== r.data_out) wrong.push(`${c.id} (${c.prog_type}): packet differs`);
        } catch (e) {
          wrong.push(`${c.id} (${c.prog_type}): ${(e as Error).message}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(eligible.length).toBeGreaterThan(150);
    expect(addressDependent).toBeLessThan(10);
    console.log(
      `interp (${engine}): ${runs} kernel test runs of ${eligible.length} corpus programs reproduced (${addressDependent} address-dependent runs skipped)`,
    );
  });
});
