// Shared by every command that takes MODEL (`model check/show`, `compare`, `export`,
// `serve`, `verify/jit --model`): MODEL is a path or a shipped model's name; files are
// read and checked against the bundled reference BTF.
import { dirname, resolve } from 'node:path';
import { type CheckOptions, type CheckResult, checkModel } from '../../core/model/check';
import type { ProfileName } from '../../core/model/schema';
import { modelVerifier } from '../../core/model/verify';
import { CliError } from '../errors';
import { readInputBytesOrFail, readInputTextOrFail } from '../input-file';
import { resolveModelArg } from '../model-arg';
import { referenceRegistry } from '../reference-btf';

export { referenceRegistry };

export function readModelFile(file: string): string {
  const text = readInputTextOrFail(file, 'model');
  // Nothing to check: bad input (exit 2), not a model with errors (exit 1).
  if (!text.trim()) throw new CliError(`${file}: empty file`);
  return text;
}

/** Checks MODEL (a path or a shipped name); `verify` runs its programs through the verifier. */
export function checkModelFile(model: string, profile?: ProfileName, verify = true): CheckResult {
  const m = resolveModelArg(model);
  const opts: CheckOptions = {
    btf: referenceRegistry(),
    // BPF objects a model names are relative to the model file.
    readObject: (path) => readInputBytesOrFail(resolve(dirname(m.path), path), 'program'),
  };
  if (profile) opts.profile = profile;
  if (verify) opts.verify = modelVerifier;
  return checkModel(m.display, readModelFile(m.path), opts);
}
