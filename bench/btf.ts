// BTF: parse + index of the reference vmlinux (time and retained heap against
// the targets), in-process dumps, and `kmodel btf dump` as a whole process
// next to `bpftool btf dump file` when bpftool is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Btf, BtfBuilder, dumpBtfCTo, dumpBtfRaw, dumpBtfRawBytes, parseBtf } from '../core/btf/index';
import { referenceVmlinuxBtfBytes } from '../main/host/btf-files';
import { median } from './app/stats';
import { findTool, processTimeUnit, ratioRow, timeProcess } from './reference';
import type { BenchRow, BenchSuite } from './types';

const root = resolve(import.meta.dirname ?? __dirname, '..');

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** CPU time (user + sys) of fn in this process, in ms. */
function cpu(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

export const run: BenchSuite = async () => {
  const rows: BenchRow[] = [];
  const bytes = referenceVmlinuxBtfBytes();
  const mb = (n: number) => n / (1 << 20);

  // Parse + name index: the first run in this process (cold JIT) and the median of later ones.
  const parseIndex = (): Btf => {
    const b = parseBtf(bytes);
    b.buildNameIndex();
    return b;
  };
  // Wall time is what the target means; on a loaded machine the minimum of several runs
  // comes closest to it, and CPU time (all threads, incl. the JIT's) is shown alongside.
  const wall = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  let coldCpu = 0;
  const cold = wall(() => {
    coldCpu = cpu(parseIndex);
  });
  const times: number[] = [];
  for (let i = 0; i < 15; i++) times.push(wall(parseIndex));
  const warm = Math.min(...times);
  rows.push({
    area: 'btf',
    what: `parse + index vmlinux (${(bytes.length / 1e6).toFixed(1)} MB, 126,611 types), first run`,
    value: cold,
    unit: 'ms',
    reference: `≤ 60 ms (CPU ${coldCpu.toFixed(0)} ms)`,
    ok: cold <= 60,
  });
  rows.push({
    area: 'btf',
    what: `parse + index vmlinux, best of 15 (median ${median(times).toFixed(1)} ms)`,
    value: warm,
    unit: 'ms',
    reference: '≤ 60 ms',
    ok: warm <= 60,
  });

  // Retained memory of a parsed + indexed object (JS heap + typed arrays), the blob itself excluded.
  // ArrayBuffer memory is released after a GC, not during it: settle twice around a turn of the event loop.
  const gc = gcFn();
  const settle = async () => {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  };
  await settle();
  const m0 = process.memoryUsage();
  const kept = parseIndex();
  await settle();
  const m1 = process.memoryUsage();
  const retained = m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers);
  rows.push({
    area: 'btf',
    what: 'retained heap of parsed + indexed vmlinux',
    value: mb(retained),
    unit: 'MiB',
    reference: `≤ 4× blob = ${mb(4 * bytes.length).toFixed(1)} MiB`,
    ok: retained <= 4 * bytes.length,
  });
  kept.findByName('sk_buff');

  // In-process work on the parsed object.
  // Byte dumps (what `kmodel btf dump` writes); the string forms add a UTF-8 decode.
  let lines = 0;
  const rawMs = cpu(() => {
    for (const c of dumpBtfRawBytes(kept, 1 << 20, true)) for (const x of c) if (x === 10) lines++;
  });
  rows.push({
    area: 'btf',
    what: `raw dump in-process, bytes (${lines} lines)`,
    value: rawMs,
    unit: 'ms CPU',
  });
  rows.push({
    area: 'btf',
    what: 'C dump in-process, bytes',
    value: cpu(() => dumpBtfCTo(kept, () => {})),
    unit: 'ms CPU',
  });
  rows.push({
    area: 'btf',
    what: 'raw dump in-process, as a string',
    value: cpu(() => dumpBtfRaw(kept)),
    unit: 'ms CPU',
  });
  rows.push({
    area: 'btf',
    what: 're-serialize vmlinux (BtfBuilder.fromBtf)',
    value: cpu(() => BtfBuilder.fromBtf(kept).build()),
    unit: 'ms CPU',
  });

  // Name index when many types share one name (hostile input): linear, not quadratic.
  const same = new BtfBuilder();
  const int = same.addInt('int', 4, 1);
  for (let i = 0; i < 200_000; i++) same.addTypedef('same', int);
  const sameBtf = parseBtf(same.build());
  const sameMs = cpu(() => sameBtf.findAllByName('same'));
  rows.push({
    area: 'btf',
    what: 'name index, 200k types of one name',
    value: sameMs,
    unit: 'ms CPU',
    reference: '≤ 200 ms (was 32 s)',
    ok: sameMs <= 200,
  });

  // Whole process, side by side with bpftool.
  const file = join(mkdtempSync(join(tmpdir(), 'kmodel-bench-btf-')), 'vmlinux.btf');
  writeFileSync(file, bytes);
  const build = spawnSync('node', ['scripts/build-cli.mjs'], { cwd: root, stdio: 'ignore' });
  const bpftool = findTool('/usr/sbin/bpftool', '/usr/bin/bpftool', '/usr/local/sbin/bpftool');
  if (build.status === 0) {
    // Interleaved runs (kmodel, bpftool, kmodel, …) so both see the same machine load;
    // min and median of CPU time, as the machine is shared.
    const RUNS = 7;
    for (const [label, extra, bargs] of [
      ['raw', [], []],
      ['c', ['--format', 'c'], ['format', 'c']],
    ] as const) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        ours.push(timeProcess('node', ['bin/kmodel.mjs', 'btf', 'dump', file, ...extra]) ?? Number.NaN);
        if (bpftool) theirs.push(timeProcess(bpftool, ['btf', 'dump', 'file', file, ...bargs]) ?? Number.NaN);
      }
      rows.push(
        ratioRow(
          {
            area: 'btf',
            what: `kmodel btf dump vmlinux --format ${label} (whole process > /dev/null; median of ${RUNS}, min ${Math.min(...ours).toFixed(0)})`,
            value: median(ours),
            unit: processTimeUnit,
          },
          {
            name: 'bpftool btf dump',
            value: bpftool ? median(theirs) : undefined,
            target: 1,
            note: `median of ${RUNS}, min ${Math.min(...theirs).toFixed(0)}`,
          },
        ),
      );
    }
  }
  return rows;
};
