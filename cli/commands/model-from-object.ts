// `kmodel model from-object`: a subsystem model from a BPF object's struct_ops
// map. When a shipped model describes the struct_ops type, the result is that
// model with the object's programs; otherwise (or with --skeleton) a skeleton
// from the vmlinux BTF with its unknowns marked REVIEW.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelSkeleton, modelWithObjectPrograms, structOpsMapOf } from '../../core/object/model-skeleton';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { shippedModelsDir } from '../model-arg';
import { loadObjectOrFail } from '../object-load';
import { shippedModelsOf } from '../prog-attach-model';

export const modelFromObject: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['skeleton']);
    checkFlags(args, ['map', 'out', 'skeleton']);
    if (args.positional.length !== 1) throw new CliError('give one OBJ.o');
    const path = args.positional[0]!;
    const { obj, target } = await loadObjectOrFail(path);
    const mapName = flagString(args, 'map');
    let text: string;
    try {
      const struct = structOpsMapOf(obj, mapName).structOps!.struct;
      const shipped = args.flags.has('skeleton') ? undefined : shippedModelsOf(struct)[0];
      if (shipped) {
        ctx.stderr(
          `kmodel: ${struct} is described by the shipped model '${shipped}': its facts, the object's programs (--skeleton for a bare one)\n`,
        );
        const base = readFileSync(join(shippedModelsDir(), `${shipped}.yaml`), 'utf8');
        text = modelWithObjectPrograms(base, obj, target, path, mapName);
      } else text = modelSkeleton(obj, target, path, mapName);
    } catch (e) {
      if (e instanceof Error && e.name === 'ObjectError') throw new CliError(`${path}: ${e.message}`);
      throw e;
    }
    const out = flagString(args, 'out');
    if (out === undefined) {
      ctx.stdout(text);
      return 0;
    }
    try {
      writeFileSync(out, text);
    } catch (e) {
      throw new CliError(`cannot write ${out}: ${(e as Error).message}`);
    }
    ctx.stdout(`wrote ${out}\n`);
    return 0;
  },
};
