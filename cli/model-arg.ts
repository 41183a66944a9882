// MODEL on the command line (`model check/show`, `compare`, `export`, `serve`,
// `verify/jit --model`): a path to a model file, or the name of a model kmodel ships.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../main/api/handlers';
import { CliError } from './errors';

/** The models kmodel ships (models/ in the package). */
export function shippedModelsDir(): string {
  return join(findPackageRoot(dirname(fileURLToPath(import.meta.url))), 'models');
}

const MODEL_EXT = /\.ya?ml$/;

/** Shipped model names (file names without .yaml). */
export function shippedModelNames(dir = shippedModelsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => MODEL_EXT.test(f))
    .map((f) => f.replace(MODEL_EXT, ''))
    .sort();
}

export interface ModelArg {
  /** Absolute path of the YAML file. */
  path: string;
  /** How diagnostics name it: relative to the working folder when inside it. */
  display: string;
  /** File name without .yaml (output file names, the report's title). */
  name: string;
  shipped: boolean;
}

/** MODEL on a command line: a file path, or the name of a model in `dir` (models/). */
export function resolveModelArg(arg: string, dir = shippedModelsDir()): ModelArg {
  const looksLikePath = /[/\\]/.test(arg) || MODEL_EXT.test(arg);
  if (looksLikePath || existsSync(arg)) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new CliError(`${arg}: no such file`);
    if (statSync(path).isDirectory()) throw new CliError(`${arg}: is a directory, not a model file`);
    return { path, display: arg, name: modelBaseName(path), shipped: dirname(path) === resolve(dir) };
  }
  const names = shippedModelNames(dir);
  if (!names.includes(arg))
    throw new CliError(
      `unknown model '${arg}': no such file, and no shipped model of that name (${names.join(', ') || 'none'})`,
    );
  const file = readdirSync(dir).find((f) => f.replace(MODEL_EXT, '') === arg && MODEL_EXT.test(f))!;
  const path = join(dir, file);
  const rel = relative(process.cwd(), path);
  return { path, display: rel.startsWith('..') || isAbsolute(rel) ? path : rel, name: arg, shipped: true };
}

export const modelBaseName = (path: string): string => path.replace(/^.*[/\\]/, '').replace(MODEL_EXT, '');
