// BtfBuilder: builds BTF for modeled types (or re-encodes parsed BTF) and
// serializes it. For split BTF, ids and string offsets continue the base's,
// and strings the base already has are reused, as libbpf's btf__add_str does.
import type { Btf, BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './btf';
import { BtfError } from './error';
import { BTF_KIND_NAMES } from './kinds';

/** A type to add: any decoded BtfType without its id (name offsets are recomputed from names). */
export type BtfTypeSpec = DistributiveOmit<Exclude<BtfType, { kind: 'VOID' }>, 'id' | 'nameOff'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type NamedIn<T> = Omit<T, 'nameOff'> & { nameOff?: number };
export type MemberSpec = Omit<NamedIn<BtfMember>, 'bitfieldSize'> & { bitfieldSize?: number };

export interface BtfBuilderOptions {
  /** Base BTF: the builder then produces split BTF (a module on top of vmlinux). */
  base?: Btf;
}

const encoder = new TextEncoder();

export class BtfBuilder {
  readonly base: Btf | undefined;
  /** Own encoded type words (host order, serialized in the chosen byte order). */
  private words: number[] = [];
  private typeCountOwn = 0;
  /** Own string section bytes. */
  private strBytes: number[];
  private strLen: number;
  /** Own strings → global offset (built lazily when strings were imported raw). */
  private strMap: Map<string, number> | undefined;
  private rawStrings: Uint8Array | undefined;
  private baseStrMap: Map<string, number> | undefined;

  constructor(opts: BtfBuilderOptions = {}) {
    this.base = opts.base;
    // Base BTF starts its strings with the empty string; split BTF reuses the base's.
    this.strBytes = this.base ? [] : [0];
    this.strLen = this.strBytes.length;
    this.strMap = new Map(this.base ? [] : [['', 0]]);
  }

  /**
   * A builder holding exactly the types and strings of `btf` (its own part),
   * so that build() reproduces its bytes and new types can be appended.
   */
  static fromBtf(btf: Btf): BtfBuilder {
    const b = new BtfBuilder({ base: btf.base });
    b.rawStrings = btf.stringSection();
    b.strBytes = [];
    b.strLen = b.rawStrings.length;
    b.strMap = undefined;
    for (const id of btf.ownIds()) b.addTypeRaw(btf.type(id) as BtfTypeSpec & { nameOff: number }, true);
    return b;
  }

  /** First id this builder defines. */
  get startId(): number {
    return this.base ? this.base.typeCount : 1;
  }

  /** Id the next added type gets. */
  get nextId(): number {
    return this.startId + this.typeCountOwn;
  }

  get startStrOff(): number {
    return this.base ? this.base.strEnd : 0;
  }

  /** Bytes of the type section so far. */
  get typeBytes(): number {
    return this.words.length * 4;
  }

  /** Bytes of this builder's own string section so far. */
  get stringBytes(): number {
    return this.strLen;
  }

  /** Global string offset of `s`, adding it when new (the base's strings are reused). */
  addString(s: string): number {
    if (s === '') return 0;
    if (this.base) {
      if (!this.baseStrMap) this.baseStrMap = stringsOf(this.base);
      const off = this.baseStrMap.get(s);
      if (off !== undefined) return off;
    }
    if (!this.strMap) this.strMap = this.importRawStrings();
    const hit = this.strMap.get(s);
    if (hit !== undefined) return hit;
    const off = this.startStrOff + this.strLen;
    const bytes = encoder.encode(s);
    if (bytes.includes(0)) throw new BtfError(-1, `string ${JSON.stringify(s)} contains NUL`);
    for (const x of bytes) this.strBytes.push(x);
    this.strBytes.push(0);
    this.strLen += bytes.length + 1;
    this.strMap.set(s, off);
    return off;
  }

  private importRawStrings(): Map<string, number> {
    const m = new Map<string, number>();
    const raw = this.rawStrings;
    if (raw) {
      const dec = new TextDecoder();
      let s = 0;
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] === 0) {
          const str = dec.decode(raw.subarray(s, i));
          if (!m.has(str)) m.set(str, this.startStrOff + s);
          s = i + 1;
        }
      }
    }
    return m;
  }

  private push(nameOff: number, kind: number, vlen: number, kflag: boolean, sizeOrType: number): void {
    if (vlen > 0xffff) throw new BtfError(-1, `${BTF_KIND_NAMES[kind]}: vlen ${vlen} > 65535`);
    this.words.push(nameOff >>> 0, ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0, sizeOrType >>> 0);
    this.typeCountOwn++;
  }

  /** Adds any type spec (names are interned; nameOff fields are ignored); returns its id. */
  add(t: BtfTypeSpec): number {
    return this.addTypeRaw(t, false);
  }

  /** Adds a type; `keepOffsets` keeps the spec's string offsets (fromBtf), else names are interned. */
  private addTypeRaw(t: BtfTypeSpec & { nameOff?: number }, keepOffsets = false): number {
    const name = keepOffsets && t.nameOff !== undefined ? t.nameOff : this.addString(t.name);
    const nameOfEntry = (e: { name: string; nameOff?: number }) =>
      keepOffsets && e.nameOff !== undefined ? e.nameOff : this.addString(e.name);
    const id = this.nextId;
    const w = this.words;
    switch (t.kind) {
      case 'INT':
        this.push(name, 1, 0, false, t.size);
        w.push(((t.encoding & 0xf) << 24) | ((t.bitsOffset & 0xff) << 16) | (t.bits & 0xff));
        break;
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
        this.push(name, BTF_KIND_NAMES.indexOf(t.kind), 0, false, t.type);
        break;
      case 'TYPE_TAG':
        this.push(name, 18, 0, t.kflag, t.type);
        break;
      case 'ARRAY':
        this.push(name, 3, 0, false, 0);
        w.push(t.type >>> 0, t.indexType >>> 0, t.nelems >>> 0);
        break;
      case 'STRUCT':
      case 'UNION': {
        const kflag = t.kflag || t.members.some((m) => m.bitfieldSize !== 0);
        this.push(name, t.kind === 'STRUCT' ? 4 : 5, t.members.length, kflag, t.size);
        for (const m of t.members) {
          if (kflag && (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff))
            throw new BtfError(-1, `member ${m.name}: bit offset or bitfield size too large`);
          w.push(
            nameOfEntry(m),
            m.type >>> 0,
            kflag ? ((m.bitfieldSize << 24) | m.bitOffset) >>> 0 : m.bitOffset >>> 0,
          );
        }
        break;
      }
      case 'ENUM':
        this.push(name, 6, t.values.length, t.signed, t.size);
        for (const v of t.values) w.push(nameOfEntry(v), v.value >>> 0);
        break;
      case 'ENUM64':
        this.push(name, 19, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          w.push(nameOfEntry(v), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case 'FWD':
        this.push(name, 7, 0, t.union, 0);
        break;
      case 'FUNC':
        this.push(name, 12, t.linkage, false, t.type);
        break;
      case 'FUNC_PROTO':
        this.push(name, 13, t.params.length, false, t.ret);
        for (const p of t.params) w.push(nameOfEntry(p), p.type >>> 0);
        break;
      case 'VAR':
        this.push(name, 14, 0, false, t.type);
        w.push(t.linkage >>> 0);
        break;
      case 'DATASEC':
        this.push(name, 15, t.vars.length, false, t.size);
        for (const v of t.vars) w.push(v.type >>> 0, v.offset >>> 0, v.size >>> 0);
        break;
      case 'FLOAT':
        this.push(name, 16, 0, false, t.size);
        break;
      case 'DECL_TAG':
        this.push(name, 17, 0, t.kflag, t.type);
        w.push(t.componentIdx >>> 0);
        break;
    }
    return id;
  }

  // ---- convenience constructors (names as in libbpf's btf__add_*) ----

  addInt(name: string, size: number, encoding = 0, bits = size * 8, bitsOffset = 0): number {
    return this.add({ kind: 'INT', name, size, encoding, bits, bitsOffset });
  }
  addPtr(type: number): number {
    return this.add({ kind: 'PTR', name: '', type });
  }
  addConst(type: number): number {
    return this.add({ kind: 'CONST', name: '', type });
  }
  addVolatile(type: number): number {
    return this.add({ kind: 'VOLATILE', name: '', type });
  }
  addRestrict(type: number): number {
    return this.add({ kind: 'RESTRICT', name: '', type });
  }
  addTypedef(name: string, type: number): number {
    return this.add({ kind: 'TYPEDEF', name, type });
  }
  addTypeTag(value: string, type: number): number {
    return this.add({ kind: 'TYPE_TAG', name: value, type, kflag: false });
  }
  addArray(type: number, indexType: number, nelems: number): number {
    return this.add({ kind: 'ARRAY', name: '', type, indexType, nelems });
  }
  addStruct(name: string, size: number, members: MemberSpec[]): number {
    return this.addComposite('STRUCT', name, size, members);
  }
  addUnion(name: string, size: number, members: MemberSpec[]): number {
    return this.addComposite('UNION', name, size, members);
  }
  private addComposite(kind: 'STRUCT' | 'UNION', name: string, size: number, members: MemberSpec[]): number {
    const ms = members.map((m) => ({ ...m, nameOff: undefined, bitfieldSize: m.bitfieldSize ?? 0 }));
    return this.addTypeRaw({ kind, name, size, kflag: false, members: ms as unknown as BtfMember[] });
  }
  addEnum(
    name: string,
    size: number,
    values: Omit<NamedIn<BtfEnumValue>, 'nameOff'>[],
    signed = false,
  ): number {
    return this.addTypeRaw({ kind: 'ENUM', name, size, signed, values: values as BtfEnumValue[] });
  }
  addEnum64(
    name: string,
    size: number,
    values: Omit<NamedIn<BtfEnum64Value>, 'nameOff'>[],
    signed = false,
  ): number {
    return this.addTypeRaw({ kind: 'ENUM64', name, size, signed, values: values as BtfEnum64Value[] });
  }
  addFwd(name: string, union = false): number {
    return this.add({ kind: 'FWD', name, union });
  }
  addFuncProto(ret: number, params: Omit<NamedIn<BtfParam>, 'nameOff'>[]): number {
    return this.addTypeRaw({ kind: 'FUNC_PROTO', name: '', ret, params: params as BtfParam[] });
  }
  /** linkage: 0 static, 1 global, 2 extern. */
  addFunc(name: string, proto: number, linkage = 1): number {
    return this.add({ kind: 'FUNC', name, type: proto, linkage });
  }
  addVar(name: string, type: number, linkage = 1): number {
    return this.add({ kind: 'VAR', name, type, linkage });
  }
  addDatasec(name: string, size: number, vars: BtfVarSecinfo[]): number {
    return this.add({ kind: 'DATASEC', name, size, vars });
  }
  addFloat(name: string, size: number): number {
    return this.add({ kind: 'FLOAT', name, size });
  }
  /** componentIdx -1 tags the type itself, else a member/param index. */
  addDeclTag(value: string, type: number, componentIdx = -1): number {
    return this.add({ kind: 'DECL_TAG', name: value, type, componentIdx, kflag: false });
  }

  /** Serializes: header, type section, string section (libbpf's layout). */
  build(opts: { bigEndian?: boolean } = {}): Uint8Array {
    const typeLen = this.words.length * 4;
    const strLen = this.strLen;
    const out = new Uint8Array(24 + typeLen + strLen);
    const v = new DataView(out.buffer);
    const le = !opts.bigEndian;
    v.setUint16(0, 0xeb9f, le);
    v.setUint8(2, 1);
    v.setUint8(3, 0);
    v.setUint32(4, 24, le);
    v.setUint32(8, 0, le);
    v.setUint32(12, typeLen, le);
    v.setUint32(16, typeLen, le);
    v.setUint32(20, strLen, le);
    const w = this.words;
    for (let i = 0, p = 24; i < w.length; i++, p += 4) v.setUint32(p, w[i]!, le);
    let p = 24 + typeLen;
    if (this.rawStrings) {
      out.set(this.rawStrings, p);
      p += this.rawStrings.length;
    }
    out.set(this.strBytes, p);
    return out;
  }
}

/** Exact bytes a design adds to BTF: its type records plus its new strings (no header). */
export function btfBytesAdded(builder: BtfBuilder): number {
  return builder.typeBytes + builder.stringBytes;
}

/** Every string of a Btf (and its base) → its first offset. */
// Parsed BTF is immutable, so one string map per object serves every builder on top of it
// (a model check builds several; rebuilding vmlinux's map each time dominated its cost).
const stringMaps = new WeakMap<Btf, Map<string, number>>();

function stringsOf(btf: Btf): Map<string, number> {
  const cached = stringMaps.get(btf);
  if (cached) return cached;
  const m = btf.base ? new Map(stringsOf(btf.base)) : new Map<string, number>();
  const sec = btf.stringSection();
  const dec = new TextDecoder();
  let s = 0;
  for (let i = 0; i < sec.length; i++) {
    if (sec[i] === 0) {
      const str = dec.decode(sec.subarray(s, i));
      if (!m.has(str)) m.set(str, btf.startStrOff + s);
      s = i + 1;
    }
  }
  stringMaps.set(btf, m);
  return m;
}
