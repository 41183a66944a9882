// Maps of a BPF object as libbpf defines them: BTF-defined maps in `.maps`
// (parse_btf_map_def: __uint/__type/__array members, inner maps, `values`
// initialisation through `.rel.maps`), and the global data maps for
// `.data*`, `.rodata*` and `.bss*` sections. libbpf v1 refuses the legacy
// `maps` section, and so does this loader.
import type { Btf, BtfComposite, BtfMember } from '../btf/btf';
import { resolveType, sizeOf } from '../btf/layout';
import { type ElfFile, type ObjectSection, SHT_NOBITS, SHT_PROGBITS, STT_FUNC } from './elf-file';
import { ObjectError, rethrowBtfError } from './error';
import type { BpfMap, BpfMapDef, MapOrigin } from './types';

/** enum bpf_map_type, lower-cased without BPF_MAP_TYPE_. */
export const MAP_TYPE_NAMES = [
  'unspec',
  'hash',
  'array',
  'prog_array',
  'perf_event_array',
  'percpu_hash',
  'percpu_array',
  'stack_trace',
  'cgroup_array',
  'lru_hash',
  'lru_percpu_hash',
  'lpm_trie',
  'array_of_maps',
  'hash_of_maps',
  'devmap',
  'sockmap',
  'cpumap',
  'xskmap',
  'sockhash',
  'cgroup_storage',
  'reuseport_sockarray',
  'percpu_cgroup_storage',
  'queue',
  'stack',
  'sk_storage',
  'devmap_hash',
  'struct_ops',
  'ringbuf',
  'inode_storage',
  'task_storage',
  'bloom_filter',
  'user_ringbuf',
  'cgrp_storage',
  'arena',
] as const;

export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
/** Above KMALLOC_MAX_SIZE (4 MiB), so no array map value this big loads anyway. */
export const MAX_GLOBAL_DATA = 64 << 20;
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;

export const mapTypeName = (t: number): string => MAP_TYPE_NAMES[t] ?? `type ${t}`;

const emptyDef = (): BpfMapDef => ({
  mapType: 0,
  type: mapTypeName(0),
  keySize: 0,
  valueSize: 0,
  maxEntries: 0,
  flags: 0,
  keyTypeId: 0,
  valueTypeId: 0,
  numaNode: 0,
  pinning: 0,
  mapExtra: 0,
});

/** __uint(name, N) is `int (*name)[N]`: a pointer to an array of N elements. */
function mapFieldInt(btf: Btf, m: BtfMember, mapName: string): number {
  const t = btf.type(resolveType(btf, m.type));
  const arr = t.kind === 'PTR' ? btf.type(t.type) : undefined;
  if (arr?.kind !== 'ARRAY')
    throw new ObjectError(`map '${mapName}': attr '${m.name}': expected a pointer to an array (__uint)`);
  return arr.nelems;
}

function setSize(def: BpfMapDef, field: 'keySize' | 'valueSize', sz: number, mapName: string): void {
  if (def[field] && def[field] !== sz)
    throw new ObjectError(
      `map '${mapName}': conflicting ${field === 'keySize' ? 'key' : 'value'} size ${def[field]} != ${sz}`,
    );
  def[field] = sz;
}

/** parse_btf_map_def: one map definition struct; `outerName` set when parsing an inner map. */
function parseMapDef(
  btf: Btf,
  def: BtfComposite,
  mapName: string,
  isInner: boolean,
): { def: BpfMapDef; inner?: BpfMapDef } {
  const out = emptyDef();
  let inner: BpfMapDef | undefined;
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type':
        out.mapType = mapFieldInt(btf, m, mapName);
        out.type = mapTypeName(out.mapType);
        return;
      case 'max_entries':
        out.maxEntries = mapFieldInt(btf, m, mapName);
        return;
      case 'map_flags':
        out.flags = mapFieldInt(btf, m, mapName);
        return;
      case 'numa_node':
        out.numaNode = mapFieldInt(btf, m, mapName);
        return;
      case 'key_size':
        setSize(out, 'keySize', mapFieldInt(btf, m, mapName), mapName);
        return;
      case 'value_size':
        setSize(out, 'valueSize', mapFieldInt(btf, m, mapName), mapName);
        return;
      case 'key':
      case 'value': {
        const t = btf.type(m.type);
        if (t.kind !== 'PTR')
          throw new ObjectError(`map '${mapName}': ${m.name} spec is not a pointer (__type)`);
        const sz =
          btf.kindOf(t.type) === 0
            ? -1
            : rethrowBtfError(`map '${mapName}': ${m.name} type`, () => sizeOf(btf, t.type));
        if (sz < 0) throw new ObjectError(`map '${mapName}': ${m.name} type has no size`);
        setSize(out, m.name === 'key' ? 'keySize' : 'valueSize', sz, mapName);
        if (m.name === 'key') out.keyTypeId = t.type;
        else out.valueTypeId = t.type;
        return;
      }
      case 'values': {
        const inMap = out.mapType === BPF_MAP_TYPE_ARRAY_OF_MAPS || out.mapType === BPF_MAP_TYPE_HASH_OF_MAPS;
        const progArray = out.mapType === BPF_MAP_TYPE_PROG_ARRAY;
        if (isInner) throw new ObjectError(`map '${mapName}': multi-level inner maps are not supported`);
        if (i !== def.members.length - 1)
          throw new ObjectError(`map '${mapName}': 'values' must be the last member`);
        if (!inMap && !progArray)
          throw new ObjectError(`map '${mapName}': 'values' is only for map-in-map and prog_array maps`);
        setSize(out, 'valueSize', 4, mapName);
        const arr = btf.type(m.type);
        if (arr.kind !== 'ARRAY' || arr.nelems !== 0)
          throw new ObjectError(`map '${mapName}': 'values' must be a zero-sized array of pointers`);
        const ptr = btf.type(resolveType(btf, arr.type));
        if (ptr.kind !== 'PTR') throw new ObjectError(`map '${mapName}': 'values' elements must be pointers`);
        const target = btf.type(resolveType(btf, ptr.type));
        if (progArray) {
          if (target.kind !== 'FUNC_PROTO')
            throw new ObjectError(`map '${mapName}': prog_array 'values' must point to functions`);
          return;
        }
        if (target.kind !== 'STRUCT')
          throw new ObjectError(`map '${mapName}': inner map definition is not a struct`);
        inner = parseMapDef(btf, target, `${mapName}.inner`, true).def;
        return;
      }
      case 'pinning': {
        if (isInner) throw new ObjectError(`map '${mapName}': inner map cannot be pinned`);
        const v = mapFieldInt(btf, m, mapName);
        if (v !== 0 && v !== 1) throw new ObjectError(`map '${mapName}': invalid pinning value ${v}`);
        out.pinning = v;
        return;
      }
      case 'map_extra':
        out.mapExtra = mapFieldInt(btf, m, mapName);
        return;
      default:
        throw new ObjectError(`map '${mapName}': unknown field '${m.name}'`);
    }
  });
  if (out.mapType === 0) throw new ObjectError(`map '${mapName}': no map type`);
  return { def: out, inner };
}

/** The DATASEC named `name` in the object BTF. */
export function findDatasec(btf: Btf, name: string) {
  const id = btf.findAllByName(name, 'DATASEC')[0];
  return id === undefined ? undefined : btf.typeOfKind(id, 'DATASEC');
}

/** A variable's offset in its section: its ELF symbol's value (libbpf's datasec fixup), else the BTF offset. */
export function varOffset(elf: ElfFile, sec: ObjectSection, name: string, btfOffset: number): number {
  const sym = elf.symbols.find((s) => s.shndx === sec.index && s.name === name && s.type !== STT_FUNC);
  return sym ? sym.value : btfOffset;
}

/** BTF-defined maps of the `.maps` section (bpf_object__init_user_btf_maps). */
export function collectBtfMaps(elf: ElfFile, btf: Btf | undefined): BpfMap[] {
  const sec = elf.section('.maps');
  if (!sec) return [];
  if (!btf) throw new ObjectError("section '.maps': BTF-defined maps need the object's .BTF");
  const ds = findDatasec(btf, '.maps');
  if (!ds) throw new ObjectError("section '.maps': no DATASEC '.maps' in .BTF");
  return ds.vars.map((vi) => {
    const v = btf.type(vi.type);
    if (v.kind !== 'VAR') throw new ObjectError(`section '.maps': entry [${vi.type}] is not a variable`);
    const name = v.name;
    const t = btf.type(resolveType(btf, v.type));
    if (t.kind !== 'STRUCT') throw new ObjectError(`map '${name}': definition is not a struct`);
    const off = varOffset(elf, sec, name, vi.offset);
    if (off + vi.size > sec.size)
      throw new ObjectError(`map '${name}': definition runs past section '.maps'`);
    const { def, inner } = parseMapDef(btf, t, name, false);
    return {
      ...def,
      name,
      origin: 'btf' as const,
      section: '.maps',
      secIdx: sec.index,
      secOffset: off,
      secSize: vi.size,
      inner,
    };
  });
}

export function globalDataOrigin(sec: ObjectSection): MapOrigin | undefined {
  const is = (p: string) => sec.name === p || sec.name.startsWith(`${p}.`);
  if (sec.type === SHT_PROGBITS && sec.size > 0 && (sec.flags & 4) === 0) {
    if (is('.data')) return 'data';
    if (is('.rodata')) return 'rodata';
  }
  if (sec.type === SHT_NOBITS && is('.bss')) return 'bss';
  return undefined;
}

/** True when the section's DATASEC has a non-static variable (libbpf's map_is_mmapable). */
function hasGlobalVar(btf: Btf | undefined, name: string): { valueTypeId: number; mmapable: boolean } {
  const ds = btf ? findDatasec(btf, name) : undefined;
  if (!btf || !ds) return { valueTypeId: 0, mmapable: false };
  const mmapable = ds.vars.some(
    (vi) => btf.kindOf(vi.type) === 14 && btf.typeOfKind(vi.type, 'VAR').linkage !== 0,
  );
  return { valueTypeId: ds.id, mmapable };
}

/** One internal ARRAY map (bpf_object__init_internal_map). */
export function internalMap(
  name: string,
  origin: MapOrigin,
  sec: ObjectSection | undefined,
  btf: Btf | undefined,
  data: Uint8Array,
): BpfMap {
  const { valueTypeId, mmapable } = hasGlobalVar(btf, name);
  let flags = origin === 'rodata' || origin === 'kconfig' ? BPF_F_RDONLY_PROG : 0;
  if (mmapable) flags |= BPF_F_MMAPABLE;
  return {
    ...emptyDef(),
    mapType: BPF_MAP_TYPE_ARRAY,
    type: 'array',
    keySize: 4,
    valueSize: data.length,
    maxEntries: 1,
    flags,
    valueTypeId,
    name,
    origin,
    section: sec?.name ?? name,
    secIdx: sec?.index ?? -1,
    secOffset: 0,
    secSize: data.length,
    data,
  };
}

/** Global data maps in section order (bpf_object__init_global_data_maps). */
export function collectGlobalDataMaps(elf: ElfFile, btf: Btf | undefined): BpfMap[] {
  const out: BpfMap[] = [];
  for (const sec of elf.sections) {
    const origin = globalDataOrigin(sec);
    if (!origin) continue;
    if (sec.size > MAX_GLOBAL_DATA)
      throw new ObjectError(
        `section '${sec.name}': ${sec.size} bytes of global data (more than a map value can hold)`,
      );
    const data = origin === 'bss' ? new Uint8Array(sec.size) : sec.data.slice();
    out.push(internalMap(sec.name, origin, sec, btf, data));
  }
  return out;
}

/** `.rel.maps`: prog_array and map-in-map `values` slots (bpf_object__collect_map_relos). */
export function collectMapRelos(
  elf: ElfFile,
  btf: Btf | undefined,
  maps: BpfMap[],
  progAt: (secIdx: number, insnIdx: number) => string | undefined,
): void {
  const rel = elf.sections.find((s) => s.name === '.rel.maps' && s.type === 9);
  if (!rel) return;
  const mapsSec = elf.section('.maps');
  if (!mapsSec || !btf) throw new ObjectError("section '.rel.maps': no '.maps' section to relocate");
  for (const [i, r] of elf.relocations(rel).entries()) {
    const sym = elf.symbols[r.symbol]!;
    const where = `section '.rel.maps': relocation #${i} against '${sym.name}'`;
    const map = maps.find(
      (m) => m.origin === 'btf' && r.offset >= m.secOffset && r.offset + 8 <= m.secOffset + m.secSize,
    );
    if (!map) throw new ObjectError(`${where}: no map at offset ${r.offset}`);
    const def = btf.type(
      resolveType(btf, btf.typeOfKind(varTypeOf(btf, map.name), 'VAR').type),
    ) as BtfComposite;
    const values = def.members[def.members.length - 1];
    if (values?.name !== 'values') throw new ObjectError(`${where}: map '${map.name}' has no 'values'`);
    const moff = r.offset - map.secOffset - values.bitOffset / 8;
    if (moff < 0 || moff % 8) throw new ObjectError(`${where}: offset ${moff} is not a 'values' slot`);
    let target: string;
    if (map.mapType === BPF_MAP_TYPE_PROG_ARRAY) {
      if (sym.type !== STT_FUNC || sym.value % 8) throw new ObjectError(`${where}: not a program`);
      const p = progAt(sym.shndx, sym.value / 8);
      if (!p) throw new ObjectError(`${where}: no program at that symbol`);
      target = p;
    } else {
      const t = maps.find((m) => m.origin === 'btf' && m.secIdx === sym.shndx && m.secOffset === sym.value);
      if (!t) throw new ObjectError(`${where}: not a map in '.maps'`);
      target = t.name;
    }
    if (!map.init) map.init = [];
    map.init.push({ slot: moff / 8, target });
  }
}

function varTypeOf(btf: Btf, name: string): number {
  const id = btf.findAllByName(name, 'VAR')[0];
  if (id === undefined) throw new ObjectError(`map '${name}': no BTF variable`);
  return id;
}

/** libbpf v1 dropped `struct bpf_map_def` maps in the `maps` section. */
export function rejectLegacyMaps(elf: ElfFile): void {
  if (elf.section('maps'))
    throw new ObjectError(
      "section 'maps': legacy map definitions are not supported by libbpf v1.0+ (define maps in '.maps' with BTF)",
    );
}
