// `kmodel diff A.yaml B.yaml`: two models (a proposal and its revision), or one model under
// two profiles (`kmodel diff A.yaml --profile v6.18,bpf-next-2026`): items added, removed or
// changed, and the cost deltas per member and in total. Exit 0 whenever it ran.
import { compareDesigns } from '../../core/analysis/compare';
import { diffModels } from '../../core/analysis/diff';
import { formatDiffMarkdown, formatDiffTable } from '../../core/analysis/diff-format';
import { errorCount } from '../../core/model/check';
import { formatDiagnostic } from '../../core/model/load';
import { isProfileName, type ProfileName } from '../../core/model/schema';
import { referenceBtfSha256 } from '../../main/host/provenance';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { checkModelFile, referenceRegistry } from './model-load';

const FORMATS = ['table', 'json', 'md'];

function profiles(text: string | undefined): [ProfileName | 'auto', ProfileName | 'auto'] {
  if (text === undefined) return ['auto', 'auto'];
  const list = text.split(',').map((s) => s.trim());
  if (list.length > 2) throw new CliError(`--profile takes one profile or two (A,B), got '${text}'`);
  for (const p of list)
    if (p !== 'auto' && !isProfileName(p))
      throw new CliError(`--profile must be v6.12, v6.18, bpf-next-2026 or auto, got '${p}'`);
  return [list[0], list[1] ?? list[0]] as [ProfileName | 'auto', ProfileName | 'auto'];
}

export const diff: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['profile', 'format']);
    const format = flagString(args, 'format') ?? 'table';
    if (!FORMATS.includes(format)) throw new CliError(`--format must be table, json or md, got '${format}'`);
    const [pa, pb] = profiles(flagString(args, 'profile'));
    const files = args.positional;
    if (files.length === 0)
      throw new CliError('missing MODEL (kmodel diff A.yaml B.yaml, or A.yaml --profile P1,P2)');
    if (files.length > 2) throw new CliError(`unexpected argument '${files[2]}'`);
    if (files.length === 1 && pa === pb)
      throw new CliError('one MODEL needs two profiles to compare (--profile P1,P2)');
    const side = (file: string, profile: ProfileName | 'auto') => {
      const check = checkModelFile(file, profile === 'auto' ? undefined : profile, false);
      if (errorCount(check) > 0) {
        for (const d of check.diagnostics) if (d.severity === 'error') ctx.stderr(`${formatDiagnostic(d)}\n`);
        throw new CliError(`${check.file}: the model has ${errorCount(check)} error(s); fix them first`);
      }
      try {
        const comparison = compareDesigns(check, referenceRegistry().vmlinux.btf, {
          profile,
          referenceBtfSha256: referenceBtfSha256(),
        });
        return { check, comparison };
      } catch (e) {
        throw new CliError(`${check.file}: ${(e as Error).message}`);
      }
    };
    const d = diffModels(side(files[0]!, pa), side(files[1] ?? files[0]!, pb));
    if (format === 'json') ctx.stdout(`${JSON.stringify(d, null, 2)}\n`);
    else if (format === 'md') ctx.stdout(formatDiffMarkdown(d));
    else ctx.stdout(formatDiffTable(d));
    return 0;
  },
};
