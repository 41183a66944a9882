// Extern symbols (undefined globals): `__ksym` kfuncs and kernel variables
// resolved to vmlinux BTF ids, `__kconfig` values laid out in the `.kconfig`
// map (libbpf's collect_externs, resolve_ksym*, resolve_externs; `__weak`
// externs that do not resolve become 0).
import type { Btf } from '../btf/btf';
import { alignOf, resolveType, sizeOf } from '../btf/layout';
import { coreTypesAreCompat } from './core-types';
import { type ElfFile, SHN_UNDEF, STB_GLOBAL, STB_WEAK, STT_NOTYPE } from './elf-file';
import { ObjectError, rethrowBtfError } from './error';
import { MAX_GLOBAL_DATA } from './maps';
import type { BpfExtern } from './types';

export interface KconfigOptions {
  /** LINUX_KERNEL_VERSION (KERNEL_VERSION(a,b,c)). */
  kernelVersion?: number;
  /** CONFIG_* values: 'y' | 'n' | 'm', numbers, or strings. */
  values?: Record<string, string | number | boolean>;
}

const isExternSym = (s: { shndx: number; bind: number; type: number }) =>
  s.shndx === SHN_UNDEF && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && s.type === STT_NOTYPE;

/** Externs in libbpf's order: ksyms then kconfig (by descending alignment, size, name), each by name. */
export function collectExterns(elf: ElfFile, btf: Btf | undefined): BpfExtern[] {
  const out: (BpfExtern & { align: number })[] = [];
  for (const sym of elf.symbols) {
    if (!isExternSym(sym) || sym.name === '') continue;
    const where = `extern '${sym.name}'`;
    if (!btf) throw new ObjectError(`${where}: externs need the object's .BTF`);
    const id = findExternBtfId(btf, sym.name);
    const sec = findExternSec(btf, id);
    if (sec === undefined) throw new ObjectError(`${where}: not in any DATASEC of .BTF`);
    const isFunc = btf.kindOf(id) === 12;
    const base = { name: sym.name, weak: sym.bind === STB_WEAK, symIdx: sym.index, btfId: id };
    if (sec === '.kconfig') {
      if (isFunc) throw new ObjectError(`${where}: extern functions cannot be in .kconfig`);
      const t = btf.sizeOrTypeOf(id);
      const sz = rethrowBtfError(where, () => sizeOf(btf, t));
      const align = rethrowBtfError(where, () => alignOf(btf, t));
      if (sz <= 0 || align <= 0) throw new ObjectError(`${where}: kconfig type has no size`);
      out.push({ ...base, kind: 'kconfig', kconfigSize: sz, align });
    } else if (sec === '.ksyms') {
      out.push({ ...base, kind: isFunc ? 'kfunc' : 'ksym', align: 0 });
    } else {
      throw new ObjectError(`${where}: unrecognized extern section '${sec}'`);
    }
  }
  const rank = (e: BpfExtern) => (e.kind === 'kconfig' ? 0 : 1);
  out.sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (a.kind === 'kconfig') {
      if (a.align !== b.align) return b.align - a.align;
      if (a.kconfigSize !== b.kconfigSize) return a.kconfigSize! - b.kconfigSize!;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  for (const e of out) {
    if (e.kind !== 'kconfig') continue;
    e.kconfigOffset = Math.ceil(off / e.align) * e.align;
    off = e.kconfigOffset + e.kconfigSize!;
  }
  return out.map(({ align: _a, ...e }) => e);
}

function findExternBtfId(btf: Btf, name: string): number {
  for (let id = 1; id < btf.typeCount; id++) {
    const k = btf.kindOf(id);
    if ((k !== 14 && k !== 12) || btf.nameOf(id) !== name) continue;
    const linkage = k === 14 ? btf.typeOfKind(id, 'VAR').linkage : btf.typeOfKind(id, 'FUNC').linkage;
    if (linkage !== 2)
      throw new ObjectError(`extern '${name}': BTF ${k === 14 ? 'VAR' : 'FUNC'} is not extern`);
    return id;
  }
  throw new ObjectError(`extern '${name}': no BTF VAR or FUNC of that name`);
}

function findExternSec(btf: Btf, id: number): string | undefined {
  for (let s = 1; s < btf.typeCount; s++) {
    if (btf.kindOf(s) !== 15) continue;
    const ds = btf.typeOfKind(s, 'DATASEC');
    if (ds.vars.some((v) => v.type === id)) return ds.name;
  }
  return undefined;
}

/** Resolves ksyms against vmlinux BTF (kfuncs by name with compatible prototypes). */
export function resolveKsyms(externs: BpfExtern[], btf: Btf, target: Btf): void {
  for (const e of externs) {
    if (e.kind === 'kconfig') continue;
    const where = `extern '${e.name}'`;
    if (e.kind === 'kfunc') {
      const id = target.findAllByName(e.name, 'FUNC').sort((a, b) => a - b)[0];
      if (id === undefined) {
        if (e.weak) continue;
        throw new ObjectError(`${where}: kfunc not found in vmlinux BTF`);
      }
      const localProto = resolveType(btf, btf.sizeOrTypeOf(e.btfId));
      const kernProto = target.sizeOrTypeOf(id);
      if (!coreTypesAreCompat(btf, localProto, target, kernProto))
        throw new ObjectError(`${where}: prototype is incompatible with the kernel's (vmlinux [${id}])`);
      e.targetBtfId = id;
      continue;
    }
    const localType = resolveType(btf, btf.sizeOrTypeOf(e.btfId));
    if (localType === 0 || btf.kindOf(localType) === 0)
      throw new ObjectError(
        `${where}: typeless ksyms need kallsyms addresses, which this model does not have`,
      );
    const id = target.findAllByName(e.name, 'VAR').sort((a, b) => a - b)[0];
    if (id === undefined) {
      if (e.weak) continue;
      throw new ObjectError(`${where}: variable not found in vmlinux BTF`);
    }
    const kernType = resolveType(target, target.sizeOrTypeOf(id));
    if (!coreTypesAreCompat(btf, localType, target, kernType))
      throw new ObjectError(`${where}: type is incompatible with the kernel's (vmlinux [${id}])`);
    e.targetBtfId = id;
  }
}

const KERNEL_VERSION = (a: number, b: number, c: number) => (a << 16) + (b << 8) + Math.min(c, 255);

/** Kernel version of a release string such as 6.18.44-fc-v669. */
export function kernelVersionOf(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? KERNEL_VERSION(Number(m[1]), Number(m[2]), Number(m[3] ?? 0)) : 0;
}

/** The `.kconfig` map's value: each kconfig extern's value at its offset. */
export function kconfigData(externs: BpfExtern[], btf: Btf, opts: KconfigOptions, le: boolean): Uint8Array {
  const ks = externs.filter((e) => e.kind === 'kconfig');
  const end = ks.reduce((m, e) => Math.max(m, e.kconfigOffset! + e.kconfigSize!), 0);
  if (end > MAX_GLOBAL_DATA) throw new ObjectError(`.kconfig: ${end} bytes of kconfig values`);
  const data = new Uint8Array(end);
  const v = new DataView(data.buffer);
  for (const e of ks) {
    const where = `extern '${e.name}'`;
    let raw: string | number | boolean | undefined = opts.values?.[e.name];
    if (e.name === 'LINUX_KERNEL_VERSION') raw = opts.kernelVersion ?? 0;
    else if (e.name === 'LINUX_HAS_BPF_COOKIE' || e.name === 'LINUX_HAS_SYSCALL_WRAPPER') raw = 1;
    else if (raw === undefined && !e.name.startsWith('CONFIG_'))
      throw new ObjectError(`${where}: unknown kconfig extern (not LINUX_* or CONFIG_*)`);
    if (raw === undefined) {
      if (e.weak) continue;
      throw new ObjectError(`${where}: no value for this kernel config (declare it __weak to default to 0)`);
    }
    const t = resolveType(btf, btf.sizeOrTypeOf(e.btfId));
    const off = e.kconfigOffset!;
    if (btf.kindOf(t) === 3) {
      const s = new TextEncoder().encode(String(raw));
      if (s.length >= e.kconfigSize!) throw new ObjectError(`${where}: string value too long`);
      data.set(s, off);
      e.value = String(raw);
      continue;
    }
    let n: bigint;
    if (raw === true || raw === 'y') n = 1n;
    else if (raw === false || raw === 'n') n = 0n;
    else if (raw === 'm') n = 2n;
    else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(String(raw))) n = BigInt(String(raw));
    else throw new ObjectError(`${where}: value '${raw}' is not y/n/m or a number`);
    e.value = n;
    const sz = e.kconfigSize!;
    if (sz === 8) v.setBigUint64(off, BigInt.asUintN(64, n), le);
    else if (sz === 4) v.setUint32(off, Number(BigInt.asUintN(32, n)), le);
    else if (sz === 2) v.setUint16(off, Number(BigInt.asUintN(16, n)), le);
    else if (sz === 1) v.setUint8(off, Number(BigInt.asUintN(8, n)));
    else throw new ObjectError(`${where}: kconfig value of ${sz} bytes`);
  }
  return data;
}
