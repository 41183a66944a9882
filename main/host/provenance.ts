// Fills core/analysis/provenance.ts's record on the host: kmodel's version from its
// package.json, the bundled reference BTF's sha256, the date, the model file's sha256.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provenance } from '../../core/analysis/provenance';
import { REFERENCE_PROFILE } from '../../core/kernel/profiles';
import { referenceVmlinuxBtfBytes } from './btf-files';
import { hashText } from './documents';

let btfSha: string | undefined;

/** sha256 of the reference vmlinux BTF blob (uncompressed: the same digest as the kernel's file). */
export function referenceBtfSha256(): string {
  btfSha ??= createHash('sha256').update(referenceVmlinuxBtfBytes()).digest('hex');
  return btfSha;
}

export function kmodelVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

export function makeProvenance(
  root: string,
  model: { file: string; text: string },
  profiles: readonly string[],
  now: Date = new Date(),
): Provenance {
  return {
    kmodel: kmodelVersion(root),
    kernel: {
      release: REFERENCE_PROFILE.release,
      arch: REFERENCE_PROFILE.arch.name,
      btfSha256: referenceBtfSha256(),
    },
    profiles: [...new Set(profiles)],
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    model: { file: model.file, sha256: hashText(model.text) },
  };
}
