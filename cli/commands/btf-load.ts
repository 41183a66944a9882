// Shared by the `kmodel btf …` commands: load a BTF file (or the vmlinux BTF) with CLI-style errors.
import type { Btf } from '../../core/btf/index';
import { loadBtfFileSync, loadVmlinuxBtf } from '../../main/host/btf-files';
import { CliError } from '../errors';

/** A file's loading error as the one-line CLI error. */
export function btfFileError(path: string, e: unknown): CliError {
  const err = e as Error;
  // readInputFile's errors already start with the path.
  if (err.name === 'InputFileError') return new CliError(err.message);
  return new CliError(`${path}: ${err.message}`);
}

/** Raw BTF, gzip'ed raw BTF or an ELF object with .BTF (`base` for split BTF), errors as CliError. */
export function loadBtfFileArg(path: string, base?: Btf): Btf {
  try {
    return loadBtfFileSync(path, base);
  } catch (e) {
    throw btfFileError(path, e);
  }
}

/** FILE (split on --base when given), or the vmlinux BTF when FILE is omitted. */
export async function loadBtfArg(file: string | undefined, baseFile: string | undefined): Promise<Btf> {
  if (file === undefined) {
    if (baseFile !== undefined) throw new CliError('--base needs a FILE');
    return loadVmlinuxBtf();
  }
  const base = baseFile === undefined ? undefined : loadBtfFileArg(baseFile);
  return loadBtfFileArg(file, base);
}
