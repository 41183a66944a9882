// `npm run bench`: numbers to improve, printed as a table. Not a test: nothing here fails the build.
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

async function main(): Promise<void> {
  const only = process.argv.slice(2);
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
  const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(v < 10 ? 2 : 1));
  const table = [['area', 'what', 'value', 'unit', 'target / reference', 'met']];
  for (const r of rows) {
    table.push([r.area, r.what, fmt(r.value), r.unit, r.reference ?? '', r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    process.stdout.write(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |\n`);
    if (i === 0) process.stdout.write(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  }
}

await main();
