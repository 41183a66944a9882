// The model half of prog-attach.ts: which shipped model describes a struct_ops
// type, and a program attached to a modeled member (the model's ctx access,
// generated prologue/epilogue, kfuncs and writable fields). Imported with
// import() so that loading a non-struct_ops program does not load the model
// checker (zod, yaml, core/model).
import { readFileSync } from 'node:fs';
import type { BtfRegistry } from '../core/btf/registry';
import { errorCount } from '../core/model/check';
import { formatDiagnostic, loadModel } from '../core/model/load';
import { modelAttach } from '../core/model/pipeline';
import { checkModelFile } from './commands/model-load';
import { CliError } from './errors';
import { resolveModelArg, shippedModelNames, shippedModelsDir } from './model-arg';
import type { ProgAttach } from './prog-attach';

const listed = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');

/** Shipped models whose struct_ops type is `struct` (read without checking them). */
export function shippedModelsOf(struct: string, dir = shippedModelsDir()): string[] {
  return shippedModelNames(dir).filter((name) => {
    const file = resolveModelArg(name, dir).path;
    try {
      return loadModel(file, readFileSync(file, 'utf8')).model?.struct_ops.name === struct;
    } catch {
      return false;
    }
  });
}

/** A struct_ops program attached to member `attach` of the model `ref` (a path or a shipped name). */
export function modelProgAttach(
  ref: string,
  attach: { struct: string; member: string },
  btf: BtfRegistry,
): ProgAttach {
  const arg = resolveModelArg(ref);
  const check = checkModelFile(arg.path, undefined, false);
  if (errorCount(check) > 0 || !check.resolved || !check.build) {
    const first = check.diagnostics.find((d) => d.severity === 'error');
    throw new CliError(
      `model ${arg.display} has ${errorCount(check)} error(s)${first ? `, first: ${formatDiagnostic(first)}` : ''}`,
    );
  }
  const model = check.resolved;
  const struct = model.model.struct_ops.name;
  const ops = model.members.filter((m) => m.kind === 'op').map((m) => m.name);
  if (attach.struct !== struct)
    throw new CliError(
      `model ${arg.display} describes struct_ops ${struct}, not ${attach.struct} (ops: ${listed(ops)})`,
    );
  const member = model.members.find((m) => m.name === attach.member);
  // An unsupported op loads so that the model's check_member refuses it, as the kernel does.
  if (member?.kind !== 'op' && member?.kind !== 'unsupported')
    throw new CliError(
      `${struct} in ${arg.display} has no op member '${attach.member}'${member ? ` (it is ${member.kind})` : ''} (ops: ${listed(ops)})`,
    );
  // The design the model's kernel uses for this member's generated calls (as model check does).
  const design = member.prologue?.design ?? member.epilogue?.design;
  // The model was built on the CLI's reference registry; its programs load on that BTF.
  const a = modelAttach(
    check,
    check.build.emitter.base ?? btf.vmlinux.btf,
    member.name,
    design,
    model.model.profile,
  );
  return { attr: a.attr, env: a.env, model: arg };
}
