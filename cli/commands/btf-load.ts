// Shared by the `kmodel btf …` commands: load a BTF file (or the vmlinux BTF) with CLI-style errors.
import type { Btf } from '../../core/btf/index';
import { loadBtfFile, loadVmlinuxBtf } from '../../main/host/btf-files';
import { CliError } from '../errors';

async function load(path: string, base?: Btf): Promise<Btf> {
  try {
    return await loadBtfFile(path, base);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CliError(`${path}: no such file`);
    if (err.code === 'EACCES') throw new CliError(`${path}: permission denied`);
    if (err.code === 'EISDIR') throw new CliError(`${path}: is a directory`);
    throw new CliError(`${path}: ${err.message}`);
  }
}

/** FILE (split on --base when given), or the vmlinux BTF when FILE is omitted. */
export async function loadBtfArg(file: string | undefined, baseFile: string | undefined): Promise<Btf> {
  if (file === undefined) {
    if (baseFile !== undefined) throw new CliError('--base needs a FILE');
    return loadVmlinuxBtf();
  }
  const base = baseFile === undefined ? undefined : await load(baseFile);
  return load(file, base);
}
