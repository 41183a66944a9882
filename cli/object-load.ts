// `kmodel object …`: a BPF ELF object read from the command line and
// prepared against the reference vmlinux BTF; bad objects become one-line CliErrors.
import type { Btf } from '../core/btf/btf';
import { kernelVersionOf } from '../core/object/externs';
import { loadBpfObject } from '../core/object/object';
import type { BpfObject, LoadedProgram } from '../core/object/types';
import { loadReferenceVmlinuxBtf } from '../main/host/btf-files';
import { CliError } from './errors';
import { readInputBytesOrFail } from './input-file';

/** The reference kernel's release (LINUX_KERNEL_VERSION for __kconfig externs). */
export const REFERENCE_RELEASE = '6.18.44';

export async function loadObjectOrFail(path: string): Promise<{ obj: BpfObject; target: Btf }> {
  const bytes = readInputBytesOrFail(path, 'program');
  const target = await loadReferenceVmlinuxBtf();
  try {
    const obj = loadBpfObject(bytes, {
      target,
      kconfig: { kernelVersion: kernelVersionOf(REFERENCE_RELEASE) },
    });
    return { obj, target };
  } catch (e) {
    if (e instanceof Error && (e.name === 'ObjectError' || e.name === 'BtfError' || e.name === 'IsaError'))
      throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

export function programOrFail(obj: BpfObject, path: string, name: string | undefined): LoadedProgram {
  const names = obj.loaded.map((p) => p.name);
  if (name === undefined) {
    if (names.length === 1) return obj.loaded[0]!;
    throw new CliError(`${path}: give --program NAME (one of ${names.join(', ') || 'none'})`);
  }
  const p = obj.loaded.find((x) => x.name === name);
  if (!p) throw new CliError(`${path}: no program '${name}' (programs: ${names.join(', ') || 'none'})`);
  return p;
}
