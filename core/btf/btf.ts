// One BTF object (vmlinux, a module's split BTF, or a program's BTF): header
// and section validation, one tight pass over the type section that records
// where each type starts, and on-demand decoding. Names are indexed lazily.
import { BtfError } from './error';
import { BTF_KIND_NAMES, type BtfKindName } from './kinds';

// Local copies of the kind numbers (kinds.ts): module-local consts keep the hot
// loops free of cross-module binding lookups under tsx/vitest transforms.
const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const BTF_HDR_LEN = 24;
const BTF_INFO_MASK = 0x9f00ffff;
const BTF_KIND_INT = 1;
const BTF_KIND_PTR = 2;
const BTF_KIND_ARRAY = 3;
const BTF_KIND_STRUCT = 4;
const BTF_KIND_UNION = 5;
const BTF_KIND_ENUM = 6;
const BTF_KIND_FWD = 7;
const BTF_KIND_TYPEDEF = 8;
const BTF_KIND_VOLATILE = 9;
const BTF_KIND_CONST = 10;
const BTF_KIND_RESTRICT = 11;
const BTF_KIND_FUNC = 12;
const BTF_KIND_FUNC_PROTO = 13;
const BTF_KIND_VAR = 14;
const BTF_KIND_DATASEC = 15;
const BTF_KIND_FLOAT = 16;
const BTF_KIND_DECL_TAG = 17;
const BTF_KIND_TYPE_TAG = 18;
const BTF_KIND_ENUM64 = 19;

export interface BtfMember {
  name: string;
  nameOff: number;
  type: number;
  /** Bit offset from the start of the struct. */
  bitOffset: number;
  /** 0 unless this is a bitfield (only possible when the struct's kflag is set). */
  bitfieldSize: number;
}

export interface BtfParam {
  name: string;
  nameOff: number;
  type: number;
}

export interface BtfEnumValue {
  name: string;
  nameOff: number;
  /** Signed or unsigned per the enum's kflag. */
  value: number;
}

export interface BtfEnum64Value {
  name: string;
  nameOff: number;
  value: bigint;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Common {
  id: number;
  name: string;
  nameOff: number;
}

export type BtfVoid = Common & { kind: 'VOID' };
export type BtfInt = Common & {
  kind: 'INT';
  size: number;
  encoding: number;
  bitsOffset: number;
  bits: number;
};
export type BtfRefType = Common & {
  kind: 'PTR' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT';
  type: number;
};
export type BtfTypeTag = Common & { kind: 'TYPE_TAG'; type: number; kflag: boolean };
export type BtfArray = Common & { kind: 'ARRAY'; type: number; indexType: number; nelems: number };
export type BtfComposite = Common & {
  kind: 'STRUCT' | 'UNION';
  size: number;
  /** kind_flag: member offsets carry a bitfield size in their top 8 bits. */
  kflag: boolean;
  members: BtfMember[];
};
export type BtfEnum = Common & { kind: 'ENUM'; size: number; signed: boolean; values: BtfEnumValue[] };
export type BtfEnum64 = Common & { kind: 'ENUM64'; size: number; signed: boolean; values: BtfEnum64Value[] };
export type BtfFwd = Common & { kind: 'FWD'; union: boolean };
export type BtfFunc = Common & { kind: 'FUNC'; type: number; linkage: number };
export type BtfFuncProto = Common & { kind: 'FUNC_PROTO'; ret: number; params: BtfParam[] };
export type BtfVar = Common & { kind: 'VAR'; type: number; linkage: number };
export type BtfDatasec = Common & { kind: 'DATASEC'; size: number; vars: BtfVarSecinfo[] };
export type BtfFloat = Common & { kind: 'FLOAT'; size: number };
export type BtfDeclTag = Common & { kind: 'DECL_TAG'; type: number; componentIdx: number; kflag: boolean };

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfRefType
  | BtfTypeTag
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** The decoded type variants whose kind can be one of K (STRUCT → BtfComposite). */
export type BtfTypeOfKind<K extends BtfType['kind'], T = BtfType> = T extends { kind: infer TK }
  ? [Extract<TK, K>] extends [never]
    ? never
    : T
  : never;

export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

export interface ParseBtfOptions {
  /** Base BTF for split BTF (a module on top of vmlinux). */
  base?: Btf;
  /** A label for messages (file name, module name). */
  name?: string;
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Record words before the vlen entries, per kind (0: not a kind this parser knows). */
const FIXED_WORDS = new Uint8Array(32);
/** Words per vlen entry, per kind. */
const ENTRY_WORDS = new Uint8Array(32);
/** 1 for kinds whose entries start with a name_off (all but DATASEC's var_secinfo). */
const NAMED_ENTRIES = new Uint8Array(32);
/** Largest vlen per kind (FUNC's vlen is its linkage). */
const MAX_VLEN = new Uint16Array(32);
/** 1 for kinds that may set kind_flag. */
const KFLAG_OK = new Uint8Array(32);
/** Word 2 is a type id: 1 = may be void, 2 = must not be (0: word 2 is a size or unused). */
const TYPE_REF = new Uint8Array(32);
/** Bit n set when word 2 (a size) may be n; 0 = not checked here. */
const SIZE_MASK = new Uint32Array(32);
/** Word of each vlen entry that is a type id (NO_REF: none), and the smallest id allowed there. */
const NO_REF = 0xff;
const ENTRY_REF = new Uint8Array(32).fill(NO_REF);
const ENTRY_MIN = new Uint8Array(32);
/** Kinds with a rule on word 3 the tables do not hold. */
const SPECIAL = new Uint8Array(32);
const SPECIAL_INT = 1;
const SPECIAL_DECL_TAG = 2;
const sizes = (...ns: number[]) => ns.reduce((m, n) => m | (1 << n), 0) >>> 0;
MAX_VLEN.fill(0xffff);
for (const k of [
  BTF_KIND_INT,
  BTF_KIND_PTR,
  BTF_KIND_ARRAY,
  BTF_KIND_FWD,
  BTF_KIND_TYPEDEF,
  BTF_KIND_VOLATILE,
  BTF_KIND_CONST,
  BTF_KIND_RESTRICT,
  BTF_KIND_VAR,
  BTF_KIND_FLOAT,
  BTF_KIND_DECL_TAG,
  BTF_KIND_TYPE_TAG,
])
  MAX_VLEN[k] = 0;
MAX_VLEN[BTF_KIND_FUNC] = 2;
for (const k of [
  BTF_KIND_STRUCT,
  BTF_KIND_UNION,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FWD,
  BTF_KIND_DECL_TAG,
  BTF_KIND_TYPE_TAG,
])
  KFLAG_OK[k] = 1;
for (const k of [
  BTF_KIND_PTR,
  BTF_KIND_TYPEDEF,
  BTF_KIND_VOLATILE,
  BTF_KIND_CONST,
  BTF_KIND_RESTRICT,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_FUNC_PROTO,
])
  TYPE_REF[k] = 1;
for (const k of [BTF_KIND_FUNC, BTF_KIND_VAR, BTF_KIND_DECL_TAG]) TYPE_REF[k] = 2;
SIZE_MASK[BTF_KIND_INT] = sizes(1, 2, 4, 8, 16);
SIZE_MASK[BTF_KIND_ENUM] = sizes(1, 2, 4, 8);
SIZE_MASK[BTF_KIND_ENUM64] = sizes(1, 2, 4, 8);
SIZE_MASK[BTF_KIND_FLOAT] = sizes(2, 4, 8, 12, 16);
SIZE_MASK[BTF_KIND_FWD] = sizes(0);
for (const k of [BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_FUNC_PROTO]) ENTRY_REF[k] = 1;
ENTRY_REF[BTF_KIND_DATASEC] = 0;
for (const k of [BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_DATASEC]) ENTRY_MIN[k] = 1;
SPECIAL[BTF_KIND_INT] = SPECIAL_INT;
SPECIAL[BTF_KIND_DECL_TAG] = SPECIAL_DECL_TAG;
/** 1 for kinds whose type reference is followed when looking for cycles (everything that is not a sink). */
const CHAINS = new Uint8Array(32);
for (let k = BTF_KIND_INT; k <= BTF_KIND_ENUM64; k++) FIXED_WORDS[k] = 3;
for (const k of [BTF_KIND_INT, BTF_KIND_VAR, BTF_KIND_DECL_TAG]) FIXED_WORDS[k] = 4;
FIXED_WORDS[BTF_KIND_ARRAY] = 6;
for (const k of [BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_DATASEC, BTF_KIND_ENUM64]) ENTRY_WORDS[k] = 3;
for (const k of [BTF_KIND_ENUM, BTF_KIND_FUNC_PROTO]) ENTRY_WORDS[k] = 2;
for (let k = 0; k < 32; k++) NAMED_ENTRIES[k] = ENTRY_WORDS[k] !== 0 && k !== BTF_KIND_DATASEC ? 1 : 0;
for (const k of [
  BTF_KIND_PTR,
  BTF_KIND_TYPEDEF,
  BTF_KIND_VOLATILE,
  BTF_KIND_CONST,
  BTF_KIND_RESTRICT,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_ARRAY,
  BTF_KIND_VAR,
  BTF_KIND_FUNC,
  BTF_KIND_DECL_TAG,
])
  CHAINS[k] = 1;

export class Btf {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  readonly header: BtfHeader;
  readonly base: Btf | undefined;
  readonly name: string;
  /** First type id this object defines (1 for base BTF, base.typeCount for split BTF). */
  readonly startId: number;
  /** First string offset this object defines (0 for base BTF, the base's total string size for split BTF). */
  readonly startStrOff: number;
  /** Number of valid ids (including void 0 and the base's ids): ids are 0 … typeCount-1. */
  readonly typeCount: number;
  /** Total string bytes visible through this object (base + own). */
  readonly strEnd: number;

  private readonly view: DataView;
  /** The type section as host-order u32 words (typed-array reads are much faster than DataView). */
  private readonly w: Uint32Array;
  /** Word index in `w` of each own type record. */
  private readonly offs: Uint32Array;
  private readonly typesStart: number;
  private readonly strStart: number;
  private strText: string | null | undefined;
  private nameTable: Int32Array | undefined;
  /** Per own type: the next own type with the same name (index + 1; 0 ends the chain). */
  private nameNext: Int32Array | undefined;
  /** Largest type id any record refers to (set by scanTypes). */
  private maxRef = 0;
  /** Indexes of the records whose chain link goes to themselves or a later id (set by scanTypes). */
  private forward: Uint32Array | undefined;

  constructor(bytes: Uint8Array, opts: ParseBtfOptions = {}) {
    this.bytes = bytes;
    this.base = opts.base;
    this.name = opts.name ?? (opts.base ? 'module' : 'vmlinux');
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.byteLength;
    if (n < 8) throw new BtfError(0, `blob of ${n} bytes is shorter than a BTF header`);
    const le = this.view.getUint16(0, true) === BTF_MAGIC;
    if (!le && this.view.getUint16(0, false) !== BTF_MAGIC)
      throw new BtfError(0, `bad magic 0x${this.view.getUint16(0, true).toString(16)} (want 0xeb9f)`);
    this.littleEndian = le;
    const v = this.view;
    const version = v.getUint8(2);
    if (version !== BTF_VERSION) throw new BtfError(2, `unsupported version ${version}`);
    const flags = v.getUint8(3);
    if (flags !== 0) throw new BtfError(3, `unsupported flags 0x${flags.toString(16)}`);
    const hdrLen = v.getUint32(4, le);
    if (hdrLen < BTF_HDR_LEN) throw new BtfError(4, `hdr_len ${hdrLen} < ${BTF_HDR_LEN}`);
    if (hdrLen > n) throw new BtfError(4, `hdr_len ${hdrLen} exceeds blob size ${n}`);
    for (let i = BTF_HDR_LEN; i < hdrLen; i++) {
      if (bytes[i] !== 0) throw new BtfError(i, 'non-zero bytes in the unknown part of the header');
    }
    const header: BtfHeader = {
      magic: BTF_MAGIC,
      version,
      flags,
      hdrLen,
      typeOff: v.getUint32(8, le),
      typeLen: v.getUint32(12, le),
      strOff: v.getUint32(16, le),
      strLen: v.getUint32(20, le),
    };
    this.header = header;
    const dataLen = n - hdrLen;
    if (header.typeOff % 4 !== 0) throw new BtfError(8, `type_off ${header.typeOff} is not 4-byte aligned`);
    if (header.typeOff + header.typeLen > dataLen)
      throw new BtfError(
        12,
        `type section ${header.typeOff}+${header.typeLen} beyond data (${dataLen} bytes)`,
      );
    if (header.strOff + header.strLen > dataLen)
      throw new BtfError(
        20,
        `string section ${header.strOff}+${header.strLen} beyond data (${dataLen} bytes)`,
      );
    if (header.typeLen % 4 !== 0) throw new BtfError(12, `type_len ${header.typeLen} is not a multiple of 4`);
    const overlap =
      header.typeLen > 0 &&
      header.strLen > 0 &&
      header.typeOff < header.strOff + header.strLen &&
      header.strOff < header.typeOff + header.typeLen;
    if (overlap) throw new BtfError(16, 'type and string sections overlap');
    this.typesStart = hdrLen + header.typeOff;
    this.strStart = hdrLen + header.strOff;
    this.w = nativeWords(bytes, this.typesStart, header.typeLen, le);

    // String section: NUL-terminated, and (for base BTF) starting with the empty string.
    const base = opts.base;
    if (base) {
      this.startId = base.typeCount;
      this.startStrOff = base.strEnd;
    } else {
      this.startId = 1;
      this.startStrOff = 0;
    }
    if (header.strLen > 0) {
      if (bytes[this.strStart + header.strLen - 1] !== 0)
        throw new BtfError(this.strStart + header.strLen - 1, 'string section is not NUL-terminated');
      if (!base && bytes[this.strStart] !== 0)
        throw new BtfError(this.strStart, 'string section does not start with the empty string');
    } else if (!base) {
      throw new BtfError(20, 'empty string section');
    }
    this.strEnd = this.startStrOff + header.strLen;
    this.offs = this.scanTypes();
    this.typeCount = this.startId + this.offs.length;
    if (this.maxRef >= this.typeCount) this.checkRefs();
    this.checkCycles();
  }

  /** Byte offset in the blob of word `i` of the type section. */
  private at(i: number): number {
    return this.typesStart + i * 4;
  }

  /**
   * One pass over the type section: finds each record and checks info bits,
   * kinds, record bounds, name offsets and the per-kind rules. The rules are
   * read from per-kind tables so that every kind runs the same code: on a first
   * run this loop executes before V8 optimizes it, and kinds that first appear
   * late (FUNC, DECL_TAG, DATASEC in vmlinux) would otherwise deoptimize it.
   * A record that breaks a rule goes to checkRecord for the precise error.
   */
  private scanTypes(): Uint32Array {
    const w = this.w;
    const end = w.length;
    const strEnd = this.strEnd;
    const fixedWords = FIXED_WORDS;
    const entryWords = ENTRY_WORDS;
    const namedEntries = NAMED_ENTRIES;
    const maxVlen = MAX_VLEN;
    const kflagOk = KFLAG_OK;
    const typeRef = TYPE_REF;
    const sizeMask = SIZE_MASK;
    const entryRef = ENTRY_REF;
    const entryMin = ENTRY_MIN;
    const special = SPECIAL;
    const chains = CHAINS;
    const startId = this.startId;
    // Every record is at least 3 words, so these never overflow.
    const offs = new Uint32Array(Math.floor(end / 3) + 1);
    const forward = new Uint32Array(offs.length);
    let nForward = 0;
    let count = 0;
    let maxRef = 0;
    let p = 0;
    while (p < end) {
      if (p + 3 > end) throw new BtfError(this.at(p), 'truncated type record');
      const info = w[p + 1]!;
      if (w[p]! >= strEnd) this.badName(p, w[p]!);
      if ((info & ~BTF_INFO_MASK) !== 0) this.badInfo(p + 1, info);
      const kind = (info >>> 24) & 0x1f;
      const fixed = fixedWords[kind]!;
      if (fixed === 0) throw new BtfError(this.at(p + 1), `unknown kind ${kind}`);
      const entry = entryWords[kind]!;
      const vlen = info & 0xffff;
      const len = fixed + entry * vlen;
      if (p + len > end) this.pastEnd(p, kind, len);
      const st = w[p + 2]!;
      if (vlen > maxVlen[kind]! || info >>> 31 > kflagOk[kind]!) this.badRecord(p);
      const m = sizeMask[kind]!;
      if (m !== 0 && (st > 16 || ((m >>> st) & 1) === 0)) this.badRecord(p);
      // Chain links to the record itself or a later one are kept for checkCycles
      // (appended branch-free: the slot is overwritten unless the count moves).
      const own = startId + count;
      const r = typeRef[kind]!;
      if (r !== 0) {
        if (st + 1 < r) this.badRecord(p);
        if (st > maxRef) maxRef = st;
        forward[nForward] = count;
        nForward += st >= own ? chains[kind]! : 0;
      }
      if (kind === BTF_KIND_ARRAY) {
        const t = w[p + 3]!;
        const it = w[p + 4]!;
        if (t === 0) this.badRecord(p);
        if (t > maxRef) maxRef = t;
        if (it > maxRef) maxRef = it;
        forward[nForward] = count;
        nForward += t >= own ? 1 : 0;
      }
      const sp = special[kind]!;
      if (sp !== 0) {
        // INT's encoding word or DECL_TAG's component index: both rules are evaluated for
        // both kinds so that neither leaves code the first optimization has not seen.
        const x = w[p + 3]!;
        const bits = x & 0xff;
        const intBad = (x & 0xf000ff00) !== 0 || bits === 0 || ((x >>> 16) & 0xff) + bits > st * 8;
        const tagBad = (x | 0) < -1;
        if (sp === SPECIAL_INT ? intBad : tagBad) this.badRecord(p);
      }
      if (entry !== 0) {
        const e = p + len;
        if (namedEntries[kind] !== 0) {
          for (let q = p + 3; q < e; q += entry) if (w[q]! >= strEnd) this.badName(q, w[q]!);
        }
        const er = entryRef[kind]!;
        if (er !== NO_REF) {
          const min = entryMin[kind]!;
          for (let q = p + 3 + er; q < e; q += entry) {
            const t = w[q]!;
            if (t < min) this.badRecord(p);
            if (t > maxRef) maxRef = t;
          }
        }
      }
      offs[count++] = p;
      p += len;
    }
    if (this.startId + count > 0x7fffffff) throw new BtfError(this.at(end), 'too many types');
    this.maxRef = maxRef;
    this.forward = forward.slice(0, nForward);
    return offs.slice(0, count);
  }

  /** A record the tables reject: checkRecord names the rule it breaks. */
  private badRecord(p: number): never {
    this.checkRecord(p, Number.POSITIVE_INFINITY);
    throw new BtfError(this.at(p), `invalid ${BTF_KIND_NAMES[(this.w[p + 1]! >>> 24) & 0x1f]} record`);
  }

  private badName(i: number, off: number): never {
    throw new BtfError(this.at(i), `name_off ${off} is beyond the string section (${this.strEnd} bytes)`);
  }

  private badInfo(i: number, info: number): never {
    throw new BtfError(this.at(i), `invalid btf_info 0x${(info >>> 0).toString(16)}`);
  }

  private pastEnd(p: number, kind: number, len: number): never {
    throw new BtfError(
      this.at(p),
      `${BTF_KIND_NAMES[kind]} record of ${len * 4} bytes runs past the type section`,
    );
  }

  private badId(i: number, what: string, id: number): never {
    throw new BtfError(this.at(i), `${what} ${id} is out of range (${this.typeCount} types)`);
  }

  /** Slow path, only for blobs that refer past the last id: checkRecord finds the first such reference. */
  private checkRefs(): void {
    const offs = this.offs;
    const count = this.typeCount;
    for (let i = 0; i < offs.length; i++) this.checkRecord(offs[i]!, count);
  }

  /**
   * Per-kind invariants of the record at word `p`; ids are checked against `count`.
   */
  private checkRecord(p: number, count: number): void {
    const w = this.w;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31;
    const st = w[p + 2]!;
    switch (kind) {
      case BTF_KIND_INT: {
        if (vlen !== 0 || kflag) throw new BtfError(this.at(p + 1), 'INT with vlen or kind_flag');
        const x = w[p + 3]!;
        const bits = x & 0xff;
        const off = (x >>> 16) & 0xff;
        if (x & 0xf000ff00) throw new BtfError(this.at(p + 3), 'INT with reserved bits set');
        if (st === 0 || st > 16 || (st & (st - 1)) !== 0)
          throw new BtfError(this.at(p + 2), `INT size ${st} is invalid`);
        if (bits === 0 || off + bits > st * 8) throw new BtfError(this.at(p + 3), 'INT bits exceed its size');
        break;
      }
      case BTF_KIND_PTR:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        if (vlen !== 0) throw new BtfError(this.at(p + 1), `${BTF_KIND_NAMES[kind]} with vlen ${vlen}`);
        if (kflag && kind !== BTF_KIND_TYPE_TAG)
          throw new BtfError(this.at(p + 1), `${BTF_KIND_NAMES[kind]} with kind_flag`);
        if (st >= count) this.badId(p + 2, 'type id', st);
        break;
      case BTF_KIND_ARRAY: {
        if (vlen !== 0 || kflag) throw new BtfError(this.at(p + 1), 'ARRAY with vlen or kind_flag');
        const t = w[p + 3]!;
        const it = w[p + 4]!;
        if (t >= count || t === 0) this.badId(p + 3, 'array element type', t);
        if (it >= count) this.badId(p + 4, 'array index type', it);
        break;
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const t = w[q + 1]!;
          if (t >= count || t === 0) this.badId(q + 1, 'member type', t);
        }
        break;
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        if (st !== 1 && st !== 2 && st !== 4 && st !== 8)
          throw new BtfError(this.at(p + 2), `enum size ${st} is invalid`);
        break;
      case BTF_KIND_FWD:
        if (vlen !== 0 || st !== 0) throw new BtfError(this.at(p + 1), 'FWD with vlen or type');
        break;
      case BTF_KIND_FUNC:
        if (vlen > 2) throw new BtfError(this.at(p + 1), `FUNC linkage ${vlen} is invalid`);
        if (kflag) throw new BtfError(this.at(p + 1), 'FUNC with kind_flag');
        if (st >= count || st === 0) this.badId(p + 2, 'func proto', st);
        break;
      case BTF_KIND_FUNC_PROTO:
        if (kflag) throw new BtfError(this.at(p + 1), 'FUNC_PROTO with kind_flag');
        if (st >= count) this.badId(p + 2, 'return type', st);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          const t = w[q + 1]!;
          if (t >= count) this.badId(q + 1, 'param type', t);
        }
        break;
      case BTF_KIND_VAR:
        if (vlen !== 0 || kflag) throw new BtfError(this.at(p + 1), 'VAR with vlen or kind_flag');
        if (st >= count || st === 0) this.badId(p + 2, 'var type', st);
        break;
      case BTF_KIND_DATASEC:
        if (kflag) throw new BtfError(this.at(p + 1), 'DATASEC with kind_flag');
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const t = w[q]!;
          if (t >= count || t === 0) this.badId(q, 'datasec var', t);
        }
        break;
      case BTF_KIND_FLOAT:
        if (vlen !== 0 || kflag) throw new BtfError(this.at(p + 1), 'FLOAT with vlen or kind_flag');
        if (st !== 2 && st !== 4 && st !== 8 && st !== 12 && st !== 16)
          throw new BtfError(this.at(p + 2), `FLOAT size ${st} is invalid`);
        break;
      case BTF_KIND_DECL_TAG:
        if (vlen !== 0) throw new BtfError(this.at(p + 1), 'DECL_TAG with vlen');
        if (st >= count || st === 0) this.badId(p + 2, 'decl tag target', st);
        if ((w[p + 3]! | 0) < -1) throw new BtfError(this.at(p + 3), 'DECL_TAG component_idx < -1');
        break;
    }
  }

  /**
   * Chains through modifiers, typedefs, pointers, arrays, vars, funcs and tags must end somewhere.
   * Each record has at most one chain successor, so a walk marks what it visits with its own
   * number: meeting its own mark is a cycle, meeting an earlier walk's mark ends the walk.
   * Ids cannot decrease all the way round a cycle, so every cycle has a link to the same or a
   * later id: walks start only there (about 3k of vmlinux's 82k links), and the first walk to
   * reach a cycle goes round it.
   */
  private checkCycles(): void {
    const w = this.w;
    const offs = this.offs;
    const start = this.startId;
    const chains = CHAINS;
    const forward = this.forward!;
    const mark = new Int32Array(offs.length);
    for (let f = 0; f < forward.length; f++) {
      const i = forward[f]!;
      if (mark[i] !== 0) continue;
      const walk = i + 1;
      let j = i;
      while (true) {
        const p = offs[j]!;
        const kind = (w[p + 1]! >>> 24) & 0x1f;
        if (chains[kind] === 0) break;
        mark[j] = walk;
        const next = (kind === BTF_KIND_ARRAY ? w[p + 3]! : w[p + 2]!) - start;
        if (next < 0) break; // void or a base type: already checked
        const m = mark[next]!;
        if (m === walk) this.cycle(next);
        if (m !== 0) break;
        j = next;
      }
    }
  }

  private cycle(i: number): never {
    throw new BtfError(this.at(this.offs[i]!), `reference cycle through type ${i + this.startId}`);
  }

  // ---- raw accessors (ids are global: base ids resolve through the base) ----

  /** The object that defines `id`. */
  owner(id: number): Btf {
    if (id < this.startId && this.base) return this.base.owner(id);
    return this;
  }

  hasType(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /** Word index of an own type's record. */
  private rec(id: number): number {
    const p = this.offs[id - this.startId];
    if (p === undefined) throw new BtfError(-1, `type id ${id} is out of range (${this.typeCount} types)`);
    return p;
  }

  /** Byte offset of the type record in its object's blob. */
  recordOffset(id: number): number {
    if (id < this.startId) return this.base ? this.base.recordOffset(id) : -1;
    return this.at(this.rec(id));
  }

  /** Kind number (0 for void). */
  kindOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId && this.base) return this.base.kindOf(id);
    return (this.w[this.rec(id) + 1]! >>> 24) & 0x1f;
  }

  kindNameOf(id: number): BtfKindName | 'VOID' {
    const k = this.kindOf(id);
    return k === 0 ? 'VOID' : (BTF_KIND_NAMES[k] as BtfKindName);
  }

  vlenOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId && this.base) return this.base.vlenOf(id);
    return this.w[this.rec(id) + 1]! & 0xffff;
  }

  kflagOf(id: number): boolean {
    if (id === 0) return false;
    if (id < this.startId && this.base) return this.base.kflagOf(id);
    return this.w[this.rec(id) + 1]! >>> 31 === 1;
  }

  nameOffOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId && this.base) return this.base.nameOffOf(id);
    return this.w[this.rec(id)]!;
  }

  /** The size/type union of struct btf_type. */
  sizeOrTypeOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId && this.base) return this.base.sizeOrTypeOf(id);
    return this.w[this.rec(id) + 2]!;
  }

  nameOf(id: number): string {
    return this.str(this.nameOffOf(id));
  }

  /** String at a (global) string offset. */
  str(off: number): string {
    if (off < this.startStrOff && this.base) return this.base.str(off);
    const local = off - this.startStrOff;
    if (local < 0 || local >= this.header.strLen)
      throw new BtfError(-1, `string offset ${off} is out of range (${this.strEnd} bytes)`);
    if (this.strText === undefined) this.strText = this.decodeAsciiStrings();
    if (this.strText !== null) return this.strText.slice(local, this.strText.indexOf('\0', local));
    const b = this.bytes;
    const s = this.strStart + local;
    let e = s;
    while (b[e] !== 0) e++;
    return utf8.decode(b.subarray(s, e));
  }

  /** Whole string section as one JS string when it is pure ASCII (then offsets map 1:1), else null. */
  private decodeAsciiStrings(): string | null {
    const sec = this.bytes.subarray(this.strStart, this.strStart + this.header.strLen);
    for (let i = 0; i < sec.length; i++) if (sec[i]! >= 0x80) return null;
    return utf8.decode(sec);
  }

  /**
   * Raw view for tight loops (dumpers): the type section as host-order words,
   * the word index of each own type's record, and where own strings start in `bytes`.
   */
  rawView(): { words: Uint32Array; records: Uint32Array; strStart: number } {
    return { words: this.w, records: this.offs, strStart: this.strStart };
  }

  /** Own string section bytes. */
  stringSection(): Uint8Array {
    return this.bytes.subarray(this.strStart, this.strStart + this.header.strLen);
  }

  /** Own type section bytes. */
  typeSection(): Uint8Array {
    return this.bytes.subarray(this.typesStart, this.typesStart + this.header.typeLen);
  }

  // ---- decoding ----

  /** Decodes one type. Id 0 is void. */
  type(id: number): BtfType {
    if (id === 0) return { id: 0, kind: 'VOID', name: 'void', nameOff: 0 };
    if (id < this.startId && this.base) return this.base.type(id);
    const p = this.rec(id);
    const w = this.w;
    const nameOff = w[p]!;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = w[p + 2]!;
    const name = nameOff ? this.str(nameOff) : '';
    switch (kind) {
      case BTF_KIND_INT: {
        const x = w[p + 3]!;
        return {
          id,
          name,
          nameOff,
          kind: 'INT',
          size: st,
          encoding: (x >>> 24) & 0xf,
          bitsOffset: (x >>> 16) & 0xff,
          bits: x & 0xff,
        };
      }
      case BTF_KIND_PTR:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
        return { id, name, nameOff, kind: BTF_KIND_NAMES[kind] as BtfRefType['kind'], type: st };
      case BTF_KIND_TYPE_TAG:
        return { id, name, nameOff, kind: 'TYPE_TAG', type: st, kflag };
      case BTF_KIND_ARRAY:
        return { id, name, nameOff, kind: 'ARRAY', type: w[p + 3]!, indexType: w[p + 4]!, nelems: w[p + 5]! };
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        const members: BtfMember[] = new Array(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const mo = w[q]!;
          const off = w[q + 2]!;
          members[j] = {
            name: mo ? this.str(mo) : '',
            nameOff: mo,
            type: w[q + 1]!,
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          };
        }
        return {
          id,
          name,
          nameOff,
          kind: kind === BTF_KIND_STRUCT ? 'STRUCT' : 'UNION',
          size: st,
          kflag,
          members,
        };
      }
      case BTF_KIND_ENUM: {
        const values: BtfEnumValue[] = new Array(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          const mo = w[q]!;
          values[j] = { name: mo ? this.str(mo) : '', nameOff: mo, value: kflag ? w[q + 1]! | 0 : w[q + 1]! };
        }
        return { id, name, nameOff, kind: 'ENUM', size: st, signed: kflag, values };
      }
      case BTF_KIND_ENUM64: {
        const values: BtfEnum64Value[] = new Array(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const mo = w[q]!;
          const raw = (BigInt(w[q + 2]!) << 32n) | BigInt(w[q + 1]!);
          values[j] = {
            name: mo ? this.str(mo) : '',
            nameOff: mo,
            value: kflag ? BigInt.asIntN(64, raw) : raw,
          };
        }
        return { id, name, nameOff, kind: 'ENUM64', size: st, signed: kflag, values };
      }
      case BTF_KIND_FWD:
        return { id, name, nameOff, kind: 'FWD', union: kflag };
      case BTF_KIND_FUNC:
        return { id, name, nameOff, kind: 'FUNC', type: st, linkage: vlen };
      case BTF_KIND_FUNC_PROTO: {
        const params: BtfParam[] = new Array(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          const mo = w[q]!;
          params[j] = { name: mo ? this.str(mo) : '', nameOff: mo, type: w[q + 1]! };
        }
        return { id, name, nameOff, kind: 'FUNC_PROTO', ret: st, params };
      }
      case BTF_KIND_VAR:
        return { id, name, nameOff, kind: 'VAR', type: st, linkage: w[p + 3]! };
      case BTF_KIND_DATASEC: {
        const vars: BtfVarSecinfo[] = new Array(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3)
          vars[j] = { type: w[q]!, offset: w[q + 1]!, size: w[q + 2]! };
        return { id, name, nameOff, kind: 'DATASEC', size: st, vars };
      }
      case BTF_KIND_FLOAT:
        return { id, name, nameOff, kind: 'FLOAT', size: st };
      case BTF_KIND_DECL_TAG:
        return { id, name, nameOff, kind: 'DECL_TAG', type: st, componentIdx: w[p + 3]! | 0, kflag };
      default:
        throw new BtfError(this.at(p + 1), `unknown kind ${kind}`);
    }
  }

  /** Raw u32 word `k` of type `id`'s record (0 = name_off, 1 = info, 2 = size/type, 3… = kind data). */
  word(id: number, k: number): number {
    if (id < this.startId && this.base) return this.base.word(id, k);
    return this.w[this.rec(id) + k]!;
  }

  /** Decodes and narrows: throws BtfError when `id` is not of one of `kinds`. */
  typeOfKind<K extends BtfType['kind']>(id: number, ...kinds: K[]): BtfTypeOfKind<K> {
    const t = this.type(id);
    if (!(kinds as string[]).includes(t.kind))
      throw new BtfError(this.recordOffset(id), `type ${id} is ${t.kind}, expected ${kinds.join('|')}`);
    return t as BtfTypeOfKind<K>;
  }

  // ---- names ----

  /** Ids (this object's and its base's) named `name`, optionally of one kind. */
  findAllByName(name: string, kind?: BtfKindName): number[] {
    const own = this.ownIdsByName(name);
    const ids = this.base ? [...this.base.findAllByName(name), ...own] : own;
    if (kind === undefined) return ids;
    const k = BTF_KIND_NAMES.indexOf(kind);
    return ids.filter((id) => this.kindOf(id) === k);
  }

  /** First id named `name` (of `kind` when given), or undefined. */
  findByName(name: string, kind?: BtfKindName): number | undefined {
    return this.findAllByName(name, kind)[0];
  }

  private ownIdsByName(name: string): number[] {
    this.buildNameIndex();
    const q = utf8Encoder.encode(name);
    let h = 0x811c9dc5;
    for (let i = 0; i < q.length; i++) h = Math.imul(h ^ q[i]!, 0x01000193);
    const table = this.nameTable!;
    const next = this.nameNext!;
    const mask = table.length - 1;
    for (let slot = h & mask; table[slot] !== 0; slot = (slot + 1) & mask) {
      let i = table[slot]! - 1;
      if (!this.nameEquals(this.w[this.offs[i]!]!, q)) continue;
      const out: number[] = [];
      for (; i >= 0; i = next[i]! - 1) out.push(i + this.startId);
      return out;
    }
    return [];
  }

  /** Does the string at global offset `off` equal the bytes `q`? */
  private nameEquals(off: number, q: Uint8Array): boolean {
    if (off < this.startStrOff && this.base) return this.base.nameEquals(off, q);
    const b = this.bytes;
    const s = this.strStart + off - this.startStrOff;
    for (let i = 0; i < q.length; i++) if (b[s + i] !== q[i]) return false;
    return b[s + q.length] === 0;
  }

  /** FNV-1a of the NUL-terminated string at global offset `off`. */
  private hashStr(off: number): number {
    if (off < this.startStrOff && this.base) return this.base.hashStr(off);
    const b = this.bytes;
    let h = 0x811c9dc5;
    for (let i = this.strStart + off - this.startStrOff; b[i] !== 0; i++)
      h = Math.imul(h ^ b[i]!, 0x01000193);
    return h;
  }

  /** Do the strings at global offsets `a` and `b` hold the same bytes? */
  private sameName(a: number, b: number): boolean {
    if (a === b) return true;
    if (a < this.startStrOff && this.base) {
      const bb = this.base.bytes;
      const s = this.base.strStart + a - this.base.startStrOff;
      let e = s;
      while (bb[e] !== 0) e++;
      return this.nameEquals(b, bb.subarray(s, e));
    }
    const s = this.strStart + a - this.startStrOff;
    let e = s;
    while (this.bytes[e] !== 0) e++;
    return this.nameEquals(b, this.bytes.subarray(s, e));
  }

  /**
   * Builds the lazy name index for this object's own types: an open-addressing
   * table of names hashed by their bytes (so no JS strings are made), each slot
   * the first of a chain of the ids sharing that name. Chains keep the probe
   * cost per type constant when thousands of types share one name.
   */
  buildNameIndex(): void {
    if (this.nameTable) return;
    const offs = this.offs;
    let cap = 16;
    while (cap < offs.length * 2) cap *= 2;
    const table = new Int32Array(cap);
    const hashes = new Int32Array(cap);
    const tails = new Int32Array(cap);
    const next = new Int32Array(offs.length);
    const mask = cap - 1;
    const w = this.w;
    const b = this.bytes;
    const startStrOff = this.startStrOff;
    // Own strings hashed inline (no call per type); names in the base's section go through the base.
    const delta = this.strStart - startStrOff;
    for (let i = 0; i < offs.length; i++) {
      const off = w[offs[i]!]!;
      if (off === 0) continue;
      let h = 0x811c9dc5;
      if (off >= startStrOff) {
        for (let k = off + delta, c = b[k]!; c !== 0; c = b[++k]!) h = Math.imul(h ^ c, 0x01000193);
      } else {
        h = this.hashStr(off);
      }
      let slot = h & mask;
      for (; table[slot] !== 0; slot = (slot + 1) & mask) {
        if (hashes[slot] === h && this.sameName(w[offs[table[slot]! - 1]!]!, off)) break;
      }
      if (table[slot] === 0) {
        table[slot] = i + 1;
        hashes[slot] = h;
      } else next[tails[slot]!] = i + 1;
      tails[slot] = i;
    }
    this.nameTable = table;
    this.nameNext = next;
  }

  /** Ids this object defines (not the base's). */
  *ownIds(): IterableIterator<number> {
    for (let id = this.startId; id < this.typeCount; id++) yield id;
  }
}

const hostLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `len` bytes at `off` as host-order u32 words: a view when aligned and same-endian, else a copy. */
function nativeWords(bytes: Uint8Array, off: number, len: number, le: boolean): Uint32Array {
  const n = len >>> 2;
  const abs = bytes.byteOffset + off;
  if (le === hostLittleEndian && abs % 4 === 0) return new Uint32Array(bytes.buffer, abs, n);
  const out = new Uint32Array(n);
  if (le === hostLittleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(off, off + n * 4));
  } else {
    const dv = new DataView(bytes.buffer, abs, n * 4);
    for (let i = 0; i < n; i++) out[i] = dv.getUint32(i * 4, le);
  }
  return out;
}

/** Parses raw BTF (either byte order). Split BTF: pass the base. Throws BtfError. */
export function parseBtf(bytes: Uint8Array, opts: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, opts);
}

export const VOID_ID = 0;
