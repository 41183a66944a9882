// `kmodel stats FILES… [--format table|csv|json] [--profile P]` and `kmodel stats --compare A.csv B.csv`:
// veristat's one row per program (corpus .jsonl cases, BPF objects, program files) and its compare mode.
import { readFileSync } from 'node:fs';
import { isElf } from '../../core/btf/elf';
import { KERNEL_PROFILE_NAMES, type KernelProfileName, kernelProfile } from '../../core/kernel/profiles';
import {
  compareStats,
  compareTable,
  type ProgStats,
  parseStatsCsv,
  progStats,
  statsCsv,
  statsTable,
} from '../../core/kernel/prog-stats';
import { type CorpusCase, caseToLoadAttr, unmodelledReason } from '../../core/verifier/corpus';
import type { VerifyEnv } from '../../core/verifier/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError, isCliError } from '../errors';
import { readInputBytesOrFail } from '../input-file';
import { loadObjectOrFail, objectProgramArg } from '../object-load';
import { progAttach } from '../prog-attach';
import { readProgramArg } from '../read-program';
import { referenceRegistry } from '../reference-btf';

const FORMATS = ['table', 'csv', 'json'];

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function corpusCases(path: string): CorpusCase[] {
  return readText(path)
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as CorpusCase;
      } catch {
        throw new CliError(`${path}:${i + 1}: not a JSON corpus case`);
      }
    });
}

export const stats: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['format', 'compare', 'profile', 'prog-type', 'attach', 'model']);
    const format = flagString(args, 'format') ?? 'table';
    if (!FORMATS.includes(format))
      throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    const emit = (rows: ProgStats[]) =>
      ctx.stdout(
        format === 'csv'
          ? statsCsv(rows)
          : format === 'json'
            ? `${JSON.stringify(rows, null, 2)}\n`
            : statsTable(rows),
      );

    const compareA = flagString(args, 'compare');
    if (compareA !== undefined) {
      const compareB = args.positional[0];
      if (compareB === undefined || args.positional.length > 1)
        throw new CliError('--compare takes two CSV files: --compare A.csv B.csv');
      const read = (p: string) => {
        try {
          return parseStatsCsv(readText(p));
        } catch (e) {
          if (isCliError(e)) throw e;
          throw new CliError(`${p}: ${(e as Error).message}`);
        }
      };
      const deltas = compareStats(read(compareA), read(compareB));
      ctx.stdout(format === 'json' ? `${JSON.stringify(deltas, null, 2)}\n` : compareTable(deltas));
      return 0;
    }

    if (!args.positional.length) throw new CliError('give FILES (corpus .jsonl, BPF objects, program files)');
    const profileName = flagString(args, 'profile');
    if (profileName !== undefined && !(KERNEL_PROFILE_NAMES as readonly string[]).includes(profileName))
      throw new CliError(`unknown --profile '${profileName}' (${KERNEL_PROFILE_NAMES.join(', ')})`);
    const btf = referenceRegistry();
    const profile = profileName ? kernelProfile(profileName as KernelProfileName, 'x86_64') : undefined;
    const withProfile = (env: VerifyEnv): VerifyEnv => (profile ? { ...env, profile } : env);
    const rows: ProgStats[] = [];
    let skipped = 0;
    for (const file of args.positional) {
      if (/\.ya?ml$/.test(file)) {
        // A model's member programs as `kmodel model check` verifies them (its run counts no states).
        const t0 = performance.now();
        // The model checker (zod, yaml, core/model) loads only for a model file.
        const { checkModelFile } = await import('./model-load');
        const check = checkModelFile(file, profileName as KernelProfileName | undefined);
        const each = Math.round(((performance.now() - t0) * 1000) / Math.max(1, check.programs.length));
        for (const p of check.programs) {
          if (p.verified === 'skipped') {
            skipped++;
            continue;
          }
          rows.push({
            file,
            program: p.name,
            verdict: p.verified === 'ok' ? 'success' : 'failure',
            duration: each,
            totalInsns: p.processedInsns ?? 0,
            totalStates: null,
            peakStates: null,
            maxStatesPerInsn: null,
            stackDepth: '',
            size: p.insns,
            xlatedSize: p.xlatedInsns ?? 0,
            jitedSize: p.jitBytes ?? 0,
            error: p.error ?? '',
          });
        }
      } else if (file.endsWith('.jsonl')) {
        for (const c of corpusCases(file)) {
          if (unmodelledReason(c)) {
            skipped++;
            continue;
          }
          rows.push(progStats(file, c.id, caseToLoadAttr(c), withProfile({ btf })));
        }
      } else if (isElf(readInputBytesOrFail(file, 'program'))) {
        const { obj } = await loadObjectOrFail(file);
        for (const p of obj.loaded) {
          let prog: Awaited<ReturnType<typeof objectProgramArg>>;
          try {
            prog = await objectProgramArg(file, p.name);
          } catch (e) {
            if (!isCliError(e)) throw e;
            ctx.stderr(`${e.message}: skipped\n`);
            skipped++;
            continue;
          }
          const target = await progAttach({
            progType: prog!.progType,
            attach: prog!.attach,
            model: undefined,
            btf,
          });
          rows.push(
            progStats(
              file,
              p.name,
              {
                insns: prog!.insns,
                ...target.attr,
                maps: prog!.maps,
                ...(prog!.progBtf ? { progBtf: prog!.progBtf } : {}),
              },
              withProfile(target.env),
            ),
          );
        }
      } else {
        const target = await progAttach({
          progType: flagString(args, 'prog-type'),
          attach: flagString(args, 'attach'),
          model: flagString(args, 'model'),
          btf,
          note: (line) => ctx.stderr(`${line}\n`),
        });
        const insns = readProgramArg(file, undefined);
        rows.push(
          progStats(file, file.replace(/^.*\//, ''), { insns, ...target.attr }, withProfile(target.env)),
        );
      }
    }
    if (skipped) ctx.stderr(`${skipped} program(s) skipped (program type or map type not modelled)\n`);
    emit(rows);
    return 0;
  },
};
