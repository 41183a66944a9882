// The program BTF a loaded program carries to BPF_PROG_LOAD: the object's .BTF with the
// program's func_info (libbpf sends both whenever the object has .BTF.ext func_info).
import type { ProgBtf } from '../verifier/btf-func';
import type { BpfObject, LoadedProgram } from './types';

export function progBtfOf(obj: BpfObject, p: LoadedProgram): ProgBtf | undefined {
  if (!obj.btf || p.funcInfo.length === 0) return undefined;
  return { btf: obj.btf, funcInfo: p.funcInfo };
}
