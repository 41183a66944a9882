// .BTF.ext: per-section func_info, line_info and CO-RE relocation records
// (layout of struct btf_ext_header and btf_ext_info_sec in libbpf's
// libbpf_internal.h / the kernel's btf.h). Offsets in the records are byte
// offsets in the ELF section, as clang writes them.
import type { Btf } from '../btf/btf';
import { ObjectError } from './error';

const BTF_EXT_MAGIC = 0xeb9f;

export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

export interface LineInfoRecord {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

/** enum bpf_core_relo_kind */
export const CORE_RELO_KINDS = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
] as const;
export type CoreReloKind = (typeof CORE_RELO_KINDS)[number];

export interface CoreReloRecord {
  insnOff: number;
  typeId: number;
  accessStr: string;
  kind: CoreReloKind;
}

export interface BtfExtSection<R> {
  secName: string;
  records: R[];
}

export interface BtfExt {
  funcInfo: BtfExtSection<FuncInfoRecord>[];
  lineInfo: BtfExtSection<LineInfoRecord>[];
  coreRelos: BtfExtSection<CoreReloRecord>[];
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const fail = (why: string): never => {
    throw new ObjectError(`.BTF.ext: ${why}`);
  };
  if (bytes.length < 8) fail('truncated header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  if (v.getUint16(0, true) !== BTF_EXT_MAGIC) {
    if (v.getUint16(0, false) !== BTF_EXT_MAGIC) fail(`bad magic 0x${v.getUint16(0, true).toString(16)}`);
    le = false;
  }
  if (bytes[2] !== 1) fail(`unsupported version ${bytes[2]}`);
  const hdrLen = v.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.length) fail(`header length ${hdrLen} out of range`);
  const u32 = (o: number) => v.getUint32(o, le);
  const str = (off: number, what: string): string => {
    if (off >= btf.strEnd) fail(`${what} string offset ${off} is outside .BTF strings`);
    return btf.str(off);
  };
  const segment = <R>(
    off: number,
    len: number,
    what: string,
    minRec: number,
    read: (o: number) => R,
  ): BtfExtSection<R>[] => {
    const out: BtfExtSection<R>[] = [];
    if (len === 0) return out;
    const start = hdrLen + off;
    const end = start + len;
    if (off % 4 || end > bytes.length || len < 4) fail(`${what} (${off}+${len}) runs past the section`);
    const recSize = u32(start);
    if (recSize < minRec || recSize % 4) fail(`${what} record size ${recSize} (want at least ${minRec})`);
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) fail(`${what}: truncated section header at byte ${p}`);
      const secName = str(u32(p), `${what} section name`);
      const n = u32(p + 4);
      p += 8;
      if (n === 0) fail(`${what}: section '${secName}' has no records`);
      if (n > (end - p) / recSize) fail(`${what}: section '${secName}' claims ${n} records past the end`);
      const records: R[] = [];
      for (let i = 0; i < n; i++, p += recSize) records.push(read(p));
      out.push({ secName, records });
    }
    return out;
  };
  const funcInfo = segment(u32(8), u32(12), 'func_info', 8, (o) => ({ insnOff: u32(o), typeId: u32(o + 4) }));
  const lineInfo = segment(u32(16), u32(20), 'line_info', 16, (o) => ({
    insnOff: u32(o),
    fileName: str(u32(o + 4), 'line_info file name'),
    line: str(u32(o + 8), 'line_info line'),
    lineNum: u32(o + 12) >>> 10,
    lineCol: u32(o + 12) & 0x3ff,
  }));
  let coreRelos: BtfExtSection<CoreReloRecord>[] = [];
  if (hdrLen >= 32) {
    coreRelos = segment(u32(24), u32(28), 'core_relo', 16, (o) => {
      const kind = CORE_RELO_KINDS[u32(o + 12)];
      if (!kind) fail(`core_relo at byte ${o}: unknown kind ${u32(o + 12)}`);
      return {
        insnOff: u32(o),
        typeId: u32(o + 4),
        accessStr: str(u32(o + 8), 'core_relo access string'),
        kind: kind!,
      };
    });
  }
  return { funcInfo, lineInfo, coreRelos };
}
