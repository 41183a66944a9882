import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stats } from './stats';

const run = async (argv: string[]) => {
  let out = '';
  let err = '';
  const code = await stats.run({ argv, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
};

const dir = mkdtempSync(join(tmpdir(), 'kmodel-stats-'));
const corpusLines = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8').trim().split('\n');
const cases = join(dir, 'cases.jsonl');
// A few cases of each verdict, with branches and prunes.
const picked = corpusLines.filter((l) => /"id":"(hand-0002|hand-0039|hand-0046|clang-0030)"/.test(l));
writeFileSync(cases, `${picked.join('\n')}\n`);

describe('kmodel stats', () => {
  it('a corpus file: one row per case with the verifier counts', async () => {
    const { code, out } = await run([cases, '--format', 'json']);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as { program: string; verdict: string; totalInsns: number }[];
    const byId = Object.fromEntries(rows.map((r) => [r.program, r]));
    const kernel = Object.fromEntries(
      picked
        .map((l) => JSON.parse(l))
        .map((c) => [c.id, c.kernel as { verdict: string; processed_insns: number }]),
    );
    expect(rows.length).toBe(picked.length);
    for (const [id, r] of Object.entries(byId)) {
      expect(r.verdict, id).toBe(kernel[id]!.verdict === 'accept' ? 'success' : 'failure');
      expect(r.totalInsns, id).toBe(kernel[id]!.processed_insns);
    }
  });

  it('objects: every program of the object', async () => {
    const { out } = await run(['test/fixtures/objects/build/cc_reno.bpf.o', '--format', 'csv']);
    const progs = out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[1]);
    expect(progs).toEqual(['reno_ssthresh', 'reno_cong_avoid', 'reno_undo_cwnd']);
  });

  it('a model file: its member programs as model check verifies them (states not counted there)', async () => {
    const { out } = await run(['models/tcp_cc.yaml', '--format', 'json']);
    const rows = JSON.parse(out) as {
      program: string;
      verdict: string;
      totalStates: number | null;
      size: number;
    }[];
    const reno = rows.find((r) => r.program === 'reno_cong_avoid')!;
    expect(reno).toMatchObject({ verdict: 'success', totalStates: null });
    expect(reno.size).toBeGreaterThan(0);
    expect(rows.some((r) => r.verdict === 'failure')).toBe(true);
  });

  it('--compare of two profiles written as CSV', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeFileSync(a, (await run([cases, '--format', 'csv', '--profile', 'v6.12'])).out);
    writeFileSync(b, (await run([cases, '--format', 'csv', '--profile', 'v6.18'])).out);
    const { code, out } = await run(['--compare', a, b]);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^File\s+Program\s+Verdict \(A\)\s+Verdict \(B\)\s+Verdict \(DIFF\)\s+Insns \(A\)/,
    );
    expect(lines.length).toBe(2 + picked.length);
    expect(lines.filter((l) => /\bMATCH\b/.test(l)).length).toBe(picked.length);
  });

  it('errors are one line', async () => {
    await expect(run([cases, '--format', 'xml'])).rejects.toThrow(/--format must be one of table, csv, json/);
    await expect(run(['--compare', cases])).rejects.toThrow(/--compare takes two CSV files/);
    await expect(run(['--compare', cases, cases])).rejects.toThrow(/not a stats CSV/);
    await expect(run([cases, '--profile', 'v5'])).rejects.toThrow(/unknown --profile 'v5'/);
  });
});
