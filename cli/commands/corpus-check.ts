// `kmodel corpus check`: run the verifier model over corpus cases and print the fidelity table.
import { readFileSync, writeFileSync } from 'node:fs';
import { BtfRegistry } from '../../core/btf/registry';
import { compareWithKernel, jitCorpusCase } from '../../core/jit/x86/corpus-case';
import {
  type CaseComparison,
  type CorpusCase,
  type CorpusJitHook,
  fidelityTable,
  runCase,
  summarize,
} from '../../core/verifier/corpus';
import { loadReferenceVmlinuxBtf } from '../../main/host/btf-files';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { readInputTextOrFail } from '../input-file';

export const corpusCheck: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['out', 'limit']);
    const file = args.positional[0];
    if (!file) throw new CliError('give a CASES.jsonl file');
    const limitStr = flagString(args, 'limit');
    const limit = limitStr === undefined ? Number.POSITIVE_INFINITY : Number(limitStr);
    if (!(limit > 0)) throw new CliError('--limit must be a positive number');
    const text = readInputTextOrFail(file, 'corpus');
    const cases: CorpusCase[] = [];
    for (const [n, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      if (cases.length >= limit) break;
      try {
        cases.push(JSON.parse(line) as CorpusCase);
      } catch {
        throw new CliError(`${file}:${n + 1}: not a JSON line`);
      }
    }
    const btf = new BtfRegistry(await loadReferenceVmlinuxBtf());
    // The model's own xlated program goes through the JIT; the image is compared with the kernel's.
    const jitHook: CorpusJitHook = (c, xlatedHex, calls) => {
      const pseudo = {
        id: c.id,
        maps: c.maps,
        kernel: { ...c.kernel, verdict: 'accept', xlated: xlatedHex, xlated_calls: calls as never },
      };
      const j = jitCorpusCase(pseudo as never);
      const hex = Buffer.from(j.result.image).toString('hex');
      const exact = c.kernel.jited ? compareWithKernel(c as never, j).exact : null;
      return {
        jited: hex,
        jitedCalls: j.result.calls.map((x) => ({ at: x.at, kind: x.kind, symbol: x.symbol ?? null })),
        exact,
      };
    };
    const out: string[] = [];
    const cmps: CaseComparison[] = [];
    const t0 = Date.now();
    for (const [i, c] of cases.entries()) {
      const { result, cmp } = runCase(c, { btf }, jitHook);
      out.push(JSON.stringify(result));
      cmps.push(cmp);
      if ((i + 1) % 100 === 0)
        ctx.stderr(`corpus check: ${i + 1}/${cases.length} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
    const outFile = flagString(args, 'out');
    if (outFile) writeFileSync(outFile, `${out.join('\n')}\n`);
    ctx.stdout(`${fidelityTable(summarize(cmps))}\n`);
    return 0;
  },
};
