// ISA layer throughput: decoding struct bpf_insn bytes, disassembling, and interpreting a
// loop-heavy program (the suite's `prime` plus a counting loop), the counting loop next to
// ubpf's interpreter when bench/ubpf/build.sh has built it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { assembleConformance } from '../core/isa/asm';
import { disasmProgram } from '../core/isa/disasm';
import { bytesFromHex, decodeInsns, encodeInsns, insnsToHex } from '../core/isa/encoding';
import type { Insn } from '../core/isa/insn';
import { runConformance, runProgram } from '../core/isa/interp';
import { loadCases } from '../test/fixtures/isa/load';
import { ratioRow } from './reference';
import type { BenchRow, BenchSuite } from './types';

const UBPF = resolve(import.meta.dirname ?? __dirname, 'ubpf/out/run-loop');
/** ubpf's interpreter on this kind of machine, for when it is not built here (issue 17). */
const UBPF_RECORDED = 256e6;

/** ubpf's interpreter on the program for about a second: instructions per second. */
function ubpfRate(insns: readonly Insn[], steps: number, r0: bigint): number | undefined {
  if (!existsSync(UBPF)) return undefined;
  const r = spawnSync(UBPF, [insnsToHex(insns), '1000'], { encoding: 'utf8' });
  const m = /^(\d+) ([\d.]+) (\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return undefined;
  if (BigInt(m[3]!) !== r0) throw new Error(`ubpf computed r0 = ${m[3]}, kmodel ${r0}`);
  return Math.round((Number(m[1]) * steps) / Number(m[2]));
}

/** Runs fn until at least `ms` have passed; returns operations per second. */
function rate(ms: number, opsPerCall: number, fn: () => void): number {
  fn(); // warm up
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    calls++;
    t = performance.now();
  }
  return Math.round((calls * opsPerCall) / ((t - t0) / 1000));
}

export const run: BenchSuite = async () => {
  const cases = loadCases();
  const all = cases.flatMap((c) => [...bytesFromHex(c.insns)]);
  const bytes = new Uint8Array(all);
  const slots = bytes.length / 8;
  const rows: BenchRow[] = [];

  rows.push({
    area: 'isa',
    what: `decode (${slots.toLocaleString('en-US')} slots, all suite programs)`,
    value: rate(500, slots, () => decodeInsns(bytes)),
    unit: 'insns/s',
  });
  const insns = decodeInsns(bytes);
  rows.push({
    area: 'isa',
    what: 'encode',
    value: rate(500, slots, () => encodeInsns(insns)),
    unit: 'insns/s',
  });
  rows.push({
    area: 'isa',
    what: 'disasm (kernel text)',
    value: rate(500, slots, () => disasmProgram(insns)),
    unit: 'insns/s',
  });

  // Counting loop: r0 += i*3 ^ i for i in 0..N (ALU64 + a conditional back edge).
  const loop = assembleConformance(
    [
      'mov %r0, 0',
      'mov %r1, 0',
      'loop:',
      'mov %r2, %r1',
      'mul %r2, 3',
      'xor %r2, %r1',
      'add %r0, %r2',
      'add %r1, 1',
      'jlt %r1, 20000, loop',
      'exit',
    ].join('\n'),
  );
  const { steps: loopSteps, r0: loopR0 } = runProgram(loop);
  // Interleaved one-second runs, best of three each: the machine is shared.
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let k = 0; k < 3; k++) {
    ours.push(rate(1000, loopSteps, () => runProgram(loop)));
    theirs.push(ubpfRate(loop, loopSteps, loopR0) ?? Number.NaN);
  }
  const ubpf = theirs.every(Number.isFinite) ? Math.max(...theirs) : undefined;
  rows.push(
    ratioRow(
      {
        area: 'isa',
        what: `interpret counting loop (${loopSteps.toLocaleString('en-US')} insns/run, best of 3 s)`,
        value: Math.max(...ours),
        unit: 'insns/s',
      },
      ubpf
        ? { name: 'ubpf interpreter', value: ubpf, target: 1, note: 'best of 3 s, same run' }
        : {
            name: 'ubpf interpreter',
            value: UBPF_RECORDED,
            target: 1,
            note: 'recorded; bench/ubpf/build.sh builds it here',
          },
    ),
  );
  rows.push({
    area: 'isa',
    what: `interpret counting loop, stepping engine`,
    value: rate(1000, loopSteps, () => runProgram(loop, { engine: 'stepping' })),
    unit: 'insns/s',
  });
  const prime = cases.find((c) => c.name === 'prime')!;
  const primeInsns = decodeInsns(bytesFromHex(prime.insns));
  const primeSteps = runConformance(primeInsns).steps;
  rows.push({
    area: 'isa',
    what: `interpret suite 'prime' (${primeSteps} insns/run)`,
    value: rate(500, primeSteps, () => runConformance(primeInsns)),
    unit: 'insns/s',
  });
  const progs = cases.map((c) => ({ insns: decodeInsns(bytesFromHex(c.insns)), mem: bytesFromHex(c.mem) }));
  rows.push({
    area: 'isa',
    what: `run all ${cases.length} conformance cases`,
    value: rate(500, cases.length, () => {
      for (const p of progs) runConformance(p.insns, p.mem);
    }),
    unit: 'cases/s',
  });
  return rows;
};
