// `bpftool btf dump file F` (raw format), line for line: tools/bpf/bpftool/btf.c dump_btf_type.
import type { Btf } from './btf';
import { BTF_KIND_NAMES } from './kinds';

const INT_ENC = ['(none)', 'SIGNED', 'CHAR', 'UNKN', 'BOOL'];
const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

function q(s: string): string {
  return s === '' ? '(anon)' : s;
}

/** One type's raw dump (may span several lines), without the trailing newline. */
export function dumpBtfTypeRaw(btf: Btf, id: number): string {
  const t = btf.type(id);
  const head = `[${id}] ${BTF_KIND_NAMES[btf.kindOf(id)]} '${q(t.name)}'`;
  switch (t.kind) {
    case 'INT':
      return `${head} size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.bits} encoding=${INT_ENC[t.encoding] ?? 'UNKN'}`;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      return `${head} type_id=${t.type}`;
    case 'ARRAY':
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'STRUCT':
    case 'UNION': {
      let s = `${head} size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t'${q(m.name)}' type_id=${m.type} bits_offset=${m.bitOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      return s;
    }
    case 'ENUM': {
      let s = `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t'${q(v.name)}' val=${v.value}`;
      return s;
    }
    case 'ENUM64': {
      let s = `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      const suffix = t.signed ? 'LL' : 'ULL';
      for (const v of t.values) s += `\n\t'${q(v.name)}' val=${v.value}${suffix}`;
      return s;
    }
    case 'FWD':
      return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 'FUNC':
      return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'FUNC_PROTO': {
      let s = `${head} ret_type_id=${t.ret} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t'${q(p.name)}' type_id=${p.type}`;
      return s;
    }
    case 'VAR':
      return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'DATASEC': {
      let s = `${head} size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        if (v.type < btf.typeCount)
          s += ` (${BTF_KIND_NAMES[btf.kindOf(v.type)]} '${q(btf.nameOf(v.type))}')`;
      }
      return s;
    }
    case 'FLOAT':
      return `${head} size=${t.size}`;
    case 'DECL_TAG':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
    default:
      return head;
  }
}

const KIND_BYTES = BTF_KIND_NAMES.map((k) => new TextEncoder().encode(k));
const enc = (s: string) => new TextEncoder().encode(s);
const T = {
  anon: enc('(anon)'),
  size: enc(' size='),
  bitsOffset: enc(' bits_offset='),
  nrBits: enc(' nr_bits='),
  encoding: enc(' encoding='),
  typeId: enc(' type_id='),
  indexTypeId: enc(' index_type_id='),
  nrElems: enc(' nr_elems='),
  vlen: enc(' vlen='),
  memberTypeId: enc("' type_id="),
  bitfieldSize: enc(' bitfield_size='),
  val: enc("' val="),
  fwdKind: enc(' fwd_kind='),
  linkage: enc(' linkage='),
  varLinkage: enc(', linkage='),
  retTypeId: enc(' ret_type_id='),
  secTypeId: enc('\n\ttype_id='),
  offset: enc(' offset='),
  componentIdx: enc(' component_idx='),
  signed: enc('SIGNED'),
  unsigned: enc('UNSIGNED'),
  union: enc('union'),
  struct: enc('struct'),
  nlTabQuote: enc("\n\t'"),
};
const INT_ENC_BYTES = INT_ENC.map(enc);
const FUNC_LINKAGE_BYTES = FUNC_LINKAGE.map(enc);
const UNKNOWN_LINKAGE = enc('(unknown)');

/** Appends ASCII/UTF-8 bytes to a growing buffer that is handed out in chunks at type boundaries. */
class Out {
  buf = new Uint8Array(1 << 20);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }
  uint(n: number): void {
    this.ensure(20);
    const b = this.buf;
    if (n === 0) {
      b[this.pos++] = 48;
      return;
    }
    let start = this.pos;
    while (n > 0) {
      const q = Math.floor(n / 10);
      b[this.pos++] = 48 + n - q * 10;
      n = q;
    }
    for (let end = this.pos - 1; start < end; start++, end--) {
      const t = b[start]!;
      b[start] = b[end]!;
      b[end] = t;
    }
  }
  int(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.uint(-n);
    } else this.uint(n);
  }
  text(s: string): void {
    this.bytes(enc(s));
  }
}

/**
 * The raw dump of a BTF object's own types (split BTF: only the module's,
 * as bpftool does), in chunks for streaming. Writes bytes directly from the
 * string section, so no per-type objects or strings are made.
 */
export function* dumpBtfRawChunks(btf: Btf, chunkBytes = 1 << 20): Generator<string> {
  const dec = new TextDecoder();
  const out = new Out();
  // Own strings, and the base's for split BTF (offsets below startStrOff).
  const ownBytes = btf.bytes;
  const ownStr = btf.rawView().strStart - btf.startStrOff;
  const baseBytes = btf.base?.bytes;
  const baseStr = btf.base ? btf.base.rawView().strStart - btf.base.startStrOff : 0;
  const splitAt = btf.startStrOff;
  const name = (off: number) => {
    if (off === 0) {
      out.bytes(T.anon);
      return;
    }
    let bytes = ownBytes;
    let s = ownStr + off;
    if (off < splitAt && baseBytes) {
      bytes = baseBytes;
      s = baseStr + off;
    }
    let e = s;
    while (bytes[e] !== 0) e++;
    const len = e - s;
    out.ensure(len);
    const b = out.buf;
    let pos = out.pos;
    for (let k = s; k < e; k++) b[pos++] = bytes[k]!;
    out.pos = pos;
  };
  const { words: w, records } = btf.rawView();
  const start = btf.startId;
  for (let i = 0; i < records.length; i++) {
    const id = start + i;
    const p = records[i]!;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = w[p + 2]!;
    out.byte(91); // [
    out.uint(id);
    out.byte(93);
    out.byte(32);
    out.bytes(KIND_BYTES[kind]!);
    out.byte(32);
    out.byte(39);
    name(w[p]!);
    out.byte(39);
    switch (kind) {
      case 1: {
        const x = w[p + 3]!;
        out.bytes(T.size);
        out.uint(st);
        out.bytes(T.bitsOffset);
        out.uint((x >>> 16) & 0xff);
        out.bytes(T.nrBits);
        out.uint(x & 0xff);
        out.bytes(T.encoding);
        out.bytes(INT_ENC_BYTES[(x >>> 24) & 0xf] ?? INT_ENC_BYTES[3]!);
        break;
      }
      case 2:
      case 8:
      case 9:
      case 10:
      case 11:
      case 18:
        out.bytes(T.typeId);
        out.uint(st);
        break;
      case 3:
        out.bytes(T.typeId);
        out.uint(w[p + 3]!);
        out.bytes(T.indexTypeId);
        out.uint(w[p + 4]!);
        out.bytes(T.nrElems);
        out.uint(w[p + 5]!);
        break;
      case 4:
      case 5:
        out.bytes(T.size);
        out.uint(st);
        out.bytes(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const off = w[q + 2]!;
          out.bytes(T.nlTabQuote);
          name(w[q]!);
          out.bytes(T.memberTypeId);
          out.uint(w[q + 1]!);
          out.bytes(T.bitsOffset);
          out.uint(kflag ? off & 0xffffff : off);
          if (kflag && off >>> 24) {
            out.bytes(T.bitfieldSize);
            out.uint(off >>> 24);
          }
        }
        break;
      case 6:
        out.bytes(T.encoding);
        out.bytes(kflag ? T.signed : T.unsigned);
        out.bytes(T.size);
        out.uint(st);
        out.bytes(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          out.bytes(T.nlTabQuote);
          name(w[q]!);
          out.bytes(T.val);
          if (kflag) out.int(w[q + 1]! | 0);
          else out.uint(w[q + 1]!);
        }
        break;
      case 19:
        out.bytes(T.encoding);
        out.bytes(kflag ? T.signed : T.unsigned);
        out.bytes(T.size);
        out.uint(st);
        out.bytes(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          out.bytes(T.nlTabQuote);
          name(w[q]!);
          out.bytes(T.val);
          const raw = (BigInt(w[q + 2]!) << 32n) | BigInt(w[q + 1]!);
          out.text(kflag ? `${BigInt.asIntN(64, raw)}LL` : `${raw}ULL`);
        }
        break;
      case 7:
        out.bytes(T.fwdKind);
        out.bytes(kflag ? T.union : T.struct);
        break;
      case 12:
        out.bytes(T.typeId);
        out.uint(st);
        out.bytes(T.linkage);
        out.bytes(FUNC_LINKAGE_BYTES[vlen] ?? UNKNOWN_LINKAGE);
        break;
      case 13:
        out.bytes(T.retTypeId);
        out.uint(st);
        out.bytes(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          out.bytes(T.nlTabQuote);
          name(w[q]!);
          out.bytes(T.memberTypeId);
          out.uint(w[q + 1]!);
        }
        break;
      case 14:
        out.bytes(T.typeId);
        out.uint(st);
        out.bytes(T.varLinkage);
        out.bytes(FUNC_LINKAGE_BYTES[w[p + 3]!] ?? UNKNOWN_LINKAGE);
        break;
      case 15:
        out.bytes(T.size);
        out.uint(st);
        out.bytes(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const vt = w[q]!;
          out.bytes(T.secTypeId);
          out.uint(vt);
          out.bytes(T.offset);
          out.uint(w[q + 1]!);
          out.bytes(T.size);
          out.uint(w[q + 2]!);
          if (vt < btf.typeCount) {
            out.byte(32);
            out.byte(40);
            out.bytes(KIND_BYTES[btf.kindOf(vt)]!);
            out.byte(32);
            out.byte(39);
            name(btf.nameOffOf(vt));
            out.byte(39);
            out.byte(41);
          }
        }
        break;
      case 16:
        out.bytes(T.size);
        out.uint(st);
        break;
      case 17:
        out.bytes(T.typeId);
        out.uint(st);
        out.bytes(T.componentIdx);
        out.int(w[p + 3]! | 0);
        break;
    }
    out.byte(10);
    if (out.pos >= chunkBytes) {
      yield dec.decode(out.buf.subarray(0, out.pos));
      out.pos = 0;
    }
  }
  if (out.pos) yield dec.decode(out.buf.subarray(0, out.pos));
}

export function dumpBtfRaw(btf: Btf): string {
  return [...dumpBtfRawChunks(btf)].join('');
}
