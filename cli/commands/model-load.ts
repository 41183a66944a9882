// Shared by `kmodel model …` and `kmodel compare`: read model files and check them
// against the bundled reference BTF.
import { readFileSync } from 'node:fs';
import { BtfRegistry } from '../../core/btf/registry';
import { type CheckOptions, type CheckResult, checkModel } from '../../core/model/check';
import type { ProfileName } from '../../core/model/schema';
import { modelVerifier } from '../../core/model/verify';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { CliError } from '../errors';

let registry: BtfRegistry | undefined;

/** The reference vmlinux BTF as a registry (parsed once per process). */
export function referenceRegistry(): BtfRegistry {
  if (!registry) registry = new BtfRegistry(loadReferenceVmlinuxBtfSync());
  return registry;
}

export function readModelFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot read'}`,
    );
  }
}

export function checkModelFile(file: string, profile?: ProfileName, verify = true): CheckResult {
  const opts: CheckOptions = { btf: referenceRegistry() };
  if (profile) opts.profile = profile;
  if (verify) opts.verify = modelVerifier;
  return checkModel(file, readModelFile(file), opts);
}
