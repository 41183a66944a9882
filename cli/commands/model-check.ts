// `kmodel model check MODEL…`: validate, resolve types, assemble every generated block and
// program, and run every member program through the verifier under the model's profile.
// Exit 0 when every model is clean, 1 when any has errors, 2 for bad usage.
import { errorCount } from '../../core/model/check';
import { formatDiagnostic } from '../../core/model/load';
import { isProfileName } from '../../core/model/schema';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { checkModelFile } from './model-load';

export const modelCheck: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv, ['quiet']);
    checkFlags(args, ['profile', 'quiet']);
    if (args.positional.length === 0) throw new CliError('missing MODEL');
    const profile = flagString(args, 'profile');
    if (profile !== undefined && !isProfileName(profile)) {
      throw new CliError(`--profile must be v6.12, v6.18 or bpf-next-2026, got '${profile}'`);
    }
    let failed = 0;
    for (const file of args.positional) {
      const r = checkModelFile(file, profile);
      for (const d of r.diagnostics) ctx.stderr(`${formatDiagnostic(d)}\n`);
      const errors = errorCount(r);
      if (errors > 0) failed++;
      if (args.flags.has('quiet')) continue;
      if (errors > 0) {
        ctx.stdout(`${file}: FAILED (${errors} error${errors === 1 ? '' : 's'})\n`);
        continue;
      }
      const ran = r.programs.filter((p) => p.verified === 'ok');
      const skipped = r.programs.filter((p) => p.verified === 'skipped').length;
      const fixupsOnly = ran.filter((p) => p.stage === 'fixups').length;
      const xl = r.programs.filter((p) => p.xlatedMatches !== undefined);
      const n = r.programs.length;
      const parts = [
        `${r.resolved!.members.length} members`,
        `${r.resolved!.kfuncs.size} kfuncs`,
        `${r.generated.length} generated block variants assembled`,
        `${n} program${n === 1 ? '' : 's'} (${ran.length} through ${fixupsOnly ? 'pro/epilogue patching, fixups and JIT only' : 'do_check, fixups and JIT'}${skipped ? `, ${skipped} not run` : ''})`,
      ];
      const processed = ran.filter((p) => p.processedInsns !== undefined);
      if (processed.length)
        parts.push(`processed insns: ${processed.map((p) => `${p.name} ${p.processedInsns}`).join(', ')}`);
      if (xl.length)
        parts.push(`${xl.filter((p) => p.xlatedMatches).length}/${xl.length} xlated as expected`);
      const pinned = r.programs.filter((p) => p.rejectedAsPinned).length;
      if (pinned) parts.push(`${pinned} rejected as pinned`);
      const refused = r.instances.filter((i) => i.error !== null).length;
      if (r.instances.length)
        parts.push(
          `${r.instances.length} instance${r.instances.length === 1 ? '' : 's'}${refused ? ` (${refused} refused as pinned)` : ''}`,
        );
      const rv = r.programs.filter((p) => p.retvalMatches !== undefined);
      if (rv.length)
        parts.push(`${rv.filter((p) => p.retvalMatches).length}/${rv.length} retval as expected`);
      ctx.stdout(`${file}: ok: ${parts.join(', ')}\n`);
    }
    return failed > 0 ? 1 : 0;
  },
};
