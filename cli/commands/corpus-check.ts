// `kmodel corpus check`: run the verifier model over corpus cases and print the fidelity table.
import { writeFileSync } from 'node:fs';
import { BtfRegistry } from '../../core/btf/registry';
import {
  type CaseComparison,
  type CorpusCase,
  caseDiffs,
  fidelityByGroup,
  fidelityTable,
  runCase,
  summarize,
  unmodelledCase,
  unmodelledReason,
} from '../../core/verifier/corpus';
import { loadReferenceVmlinuxBtf } from '../../main/host/btf-files';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { readInputTextOrFail } from '../input-file';

/** Why a parsed JSON line is not a corpus case (the fields runCase reads), or undefined. */
export function corpusCaseShapeError(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'a case is a JSON object';
  const c = x as Record<string, unknown>;
  for (const k of ['id', 'prog_type', 'insns'] as const)
    if (typeof c[k] !== 'string') return `case field '${k}' is not a string`;
  if (!Array.isArray(c.maps) || c.maps.some((m) => typeof m !== 'object' || m === null))
    return `case ${c.id}: 'maps' is not a list of maps`;
  if (
    c.attach !== null &&
    c.attach !== undefined &&
    (typeof c.attach !== 'object' || Array.isArray(c.attach))
  )
    return `case ${c.id}: 'attach' is not an object or null`;
  const k = c.kernel as Record<string, unknown> | null | undefined;
  if (typeof k !== 'object' || k === null || Array.isArray(k))
    return `case ${c.id}: 'kernel' is not an object`;
  if (k.verdict !== 'accept' && k.verdict !== 'reject')
    return `case ${c.id}: kernel.verdict is not accept|reject`;
  return undefined;
}

function writeOutOrFail(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot write ${path}: ${code === 'ENOENT' ? 'no such directory' : (e as Error).message}`,
    );
  }
}

export const corpusCheck: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['diff']);
    checkFlags(args, ['out', 'limit', 'diff']);
    const file = args.positional[0];
    if (!file) throw new CliError('give a CASES.jsonl file');
    const limitStr = flagString(args, 'limit');
    const limit = limitStr === undefined ? Number.POSITIVE_INFINITY : Number(limitStr);
    if (!(limit > 0)) throw new CliError('--limit must be a positive number');
    const text = readInputTextOrFail(file, 'corpus');
    const cases: CorpusCase[] = [];
    const lineOf: number[] = [];
    for (const [n, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      if (cases.length >= limit) break;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new CliError(`${file}:${n + 1}: not a JSON line`);
      }
      const bad = corpusCaseShapeError(value);
      if (bad) throw new CliError(`${file}:${n + 1}: ${bad}`);
      cases.push(value as CorpusCase);
      lineOf.push(n + 1);
    }
    if (!cases.length) throw new CliError(`${file}: no cases`);
    const outFile = flagString(args, 'out');
    // Fail before minutes of work, not after them.
    if (outFile) writeOutOrFail(outFile, '');
    const btf = new BtfRegistry(await loadReferenceVmlinuxBtf());
    const out: string[] = [];
    const cmps: CaseComparison[] = [];
    const diffs: string[] = [];
    const t0 = Date.now();
    for (const [i, c] of cases.entries()) {
      if (unmodelledReason(c)) {
        // One result line saying so; the run goes on.
        const u = unmodelledCase(c);
        out.push(JSON.stringify(u.result));
        cmps.push(u.cmp);
        diffs.push(`${c.id}: ${u.result.unmodelled}`);
        continue;
      }
      let run: ReturnType<typeof runCase>;
      try {
        run = runCase(c, { btf }, { jit: true });
      } catch (e) {
        // A case of the right shape can still hold values the model cannot take (bad hex, map sizes).
        throw new CliError(`${file}:${lineOf[i]}: case ${c.id}: ${(e as Error).message}`);
      }
      const { result, cmp } = run;
      out.push(JSON.stringify(result));
      cmps.push(cmp);
      if (args.flags.has('diff')) for (const d of caseDiffs(c, run)) diffs.push(`${c.id}: ${d}`);
      if ((i + 1) % 100 === 0)
        ctx.stderr(`corpus check: ${i + 1}/${cases.length} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
    if (outFile) writeOutOrFail(outFile, `${out.join('\n')}\n`);
    ctx.stdout(`${fidelityTable(summarize(cmps))}\n`);
    ctx.stdout(`\nper origin\n${fidelityByGroup(cmps, 'origin')}\n`);
    ctx.stdout(`\nper program type\n${fidelityByGroup(cmps, 'progType')}\n`);
    if (args.flags.has('diff')) ctx.stdout(`\nfirst difference per failing case\n${diffs.join('\n')}\n`);
    return 0;
  },
};
