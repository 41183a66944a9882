// `kmodel compare MODEL`: kfunc vs BPF_CALL_N wrapper vs helper calls in the model's
// generated pro/epilogue code, measured through the modeled pipeline.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareDesigns } from '../../core/analysis/compare';
import { formatComparisonMarkdown, formatComparisonTable } from '../../core/analysis/format';
import { provenanceLines } from '../../core/analysis/provenance';
import { errorCount } from '../../core/model/check';
import { formatDiagnostic } from '../../core/model/load';
import { isProfileName, type ProfileName } from '../../core/model/schema';
import { findPackageRoot } from '../../main/api/handlers';
import { makeProvenance, referenceBtfSha256 } from '../../main/host/provenance';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { resolveModelArg } from '../model-arg';
import { checkModelFile, readModelFile, referenceRegistry } from './model-load';

const FORMATS = ['table', 'json', 'md', 'txt'];

export const compare: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['member', 'profile', 'format']);
    const format = flagString(args, 'format') ?? 'table';
    if (!FORMATS.includes(format))
      throw new CliError(`--format must be table, json, md or txt, got '${format}'`);
    const profile = flagString(args, 'profile');
    if (profile !== undefined && profile !== 'auto' && !isProfileName(profile)) {
      throw new CliError(`--profile must be v6.12, v6.18, bpf-next-2026 or auto, got '${profile}'`);
    }
    if (args.positional.length !== 1) {
      throw new CliError(
        args.positional.length ? `unexpected argument '${args.positional[1]}'` : 'missing MODEL',
      );
    }
    const r = checkModelFile(args.positional[0]!, profile === 'auto' ? undefined : profile, false);
    if (errorCount(r) > 0) {
      for (const d of r.diagnostics) ctx.stderr(`${formatDiagnostic(d)}\n`);
      // A model that does not check is bad input here (model check reports it with exit 1).
      return 2;
    }
    const member = flagString(args, 'member');
    let c: ReturnType<typeof compareDesigns>;
    try {
      // Default 'auto': each design under the profile whose kernel uses it (the model's call_design).
      c = compareDesigns(r, referenceRegistry().vmlinux.btf, {
        profile: (profile as ProfileName | 'auto' | undefined) ?? 'auto',
        referenceBtfSha256: referenceBtfSha256(),
        ...(member ? { member } : {}),
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (c.members.length === 0) {
      ctx.stdout(`${c.title}: no member has a prologue or epilogue; nothing to compare\n`);
      return 0;
    }
    const file = resolveModelArg(args.positional[0]!);
    const prov = makeProvenance(
      findPackageRoot(dirname(fileURLToPath(import.meta.url))),
      { file: file.display, text: readModelFile(file.path) },
      Object.values(c.designProfiles),
    );
    if (format === 'json') ctx.stdout(`${JSON.stringify({ ...c, provenance: prov }, null, 2)}\n`);
    else if (format === 'md')
      ctx.stdout(
        `${formatComparisonMarkdown(c)}\n---\n\n${provenanceLines(prov)
          .map((l) => `- ${l}`)
          .join('\n')}\n`,
      );
    // txt: a mail body (prose wrapped at 72 columns).
    else
      ctx.stdout(
        `${formatComparisonTable(c, format === 'txt' ? { width: 72 } : {})}\n${provenanceLines(prov).join('\n')}\n`,
      );
    return 0;
  },
};
