// `npm run bench [suite…] [--no-record]`: numbers to improve, printed as a table. Not a
// test: nothing here fails the build. Rows with a reference measured in the same run
// (ubpf, bpftool, the kernel) show their ratio to it. The figures are recorded in
// bench/last-run.json; a figure more than 20 % worse than there is reported.
import { resolve } from 'node:path';
import { figureKey, readRecord, recordRun, regressions, writeRecord } from './record';
import { fmt } from './reference';
import type { BenchRow, BenchSuite } from './types';

const suites: Record<string, () => Promise<{ run: BenchSuite }>> = {
  // Each area adds its suite here: name → module exporting `run`.
  jit: () => import('./jit'),
  verifier: () => import('./verifier'),
  isa: () => import('./isa'),
  fixups: () => import('./fixups'),
  btf: () => import('./btf'),
  model: () => import('./model'),
  app: () => import('./app'),
};

const RECORD = resolve(import.meta.dirname ?? __dirname, 'last-run.json');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const record = !args.includes('--no-record');
  const only = args.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((s) => !(s in suites));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown suite ${unknown.join(', ')} (suites: ${Object.keys(suites).join(', ')})\n`,
    );
    process.exit(2);
  }
  const rows: BenchRow[] = [];
  for (const [name, load] of Object.entries(suites)) {
    if (only.length && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    try {
      rows.push(...(await (await load()).run()));
    } catch (e) {
      process.stderr.write(`bench: ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  const table = [['area', 'what', 'value', 'unit', 'ratio', 'target / reference', 'met']];
  for (const r of rows) {
    const ratio = r.referenceValue ? `${(r.value / r.referenceValue).toFixed(2)}×` : '';
    table.push([
      r.area,
      r.what,
      fmt(r.value),
      r.unit,
      ratio,
      r.reference ?? '',
      r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    process.stdout.write(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |\n`);
    if (i === 0) process.stdout.write(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  }

  const last = readRecord(RECORD);
  const worse = regressions(last, rows);
  const keys = rows.map(figureKey);
  const clashes = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (clashes.length)
    process.stderr.write(`bench: rows share a record key (give them a key): ${clashes.join(', ')}\n`);
  if (worse.length) {
    process.stdout.write(
      `\nWARNING: ${worse.length} figure(s) more than 20 % worse than the last recorded run:\n`,
    );
    for (const w of worse) process.stdout.write(`  ${w}\n`);
  } else if (last) {
    process.stdout.write('\nNo figure is more than 20 % worse than the last recorded run.\n');
  }
  if (record && rows.length) {
    writeRecord(RECORD, recordRun(last, rows, new Date().toISOString().slice(0, 10), process.version));
    process.stderr.write(`bench: figures recorded in ${RECORD} (--no-record leaves it)\n`);
  }
}

await main();
