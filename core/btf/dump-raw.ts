// `bpftool btf dump file F` (raw format), line for line: tools/bpf/bpftool/btf.c dump_btf_type.
import type { Btf } from './btf';
import { ascii, chunksToString, DumpSink } from './dump-out';
import { type DumpView, dumpView } from './dump-view';
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

const KIND_BYTES = BTF_KIND_NAMES.map(ascii);
const T = {
  anon: ascii('(anon)'),
  size: ascii(' size='),
  bitsOffset: ascii(' bits_offset='),
  nrBits: ascii(' nr_bits='),
  encoding: ascii(' encoding='),
  typeId: ascii(' type_id='),
  indexTypeId: ascii(' index_type_id='),
  nrElems: ascii(' nr_elems='),
  vlen: ascii(' vlen='),
  memberTypeId: ascii("' type_id="),
  bitfieldSize: ascii(' bitfield_size='),
  val: ascii("' val="),
  fwdKind: ascii(' fwd_kind='),
  linkage: ascii(' linkage='),
  varLinkage: ascii(', linkage='),
  retTypeId: ascii(' ret_type_id='),
  secTypeId: ascii('\n\ttype_id='),
  offset: ascii(' offset='),
  componentIdx: ascii(' component_idx='),
  signed: ascii('SIGNED'),
  unsigned: ascii('UNSIGNED'),
  union: ascii('union'),
  struct: ascii('struct'),
  nlTabQuote: ascii("\n\t'"),
};
const INT_ENC_BYTES = INT_ENC.map(ascii);
const FUNC_LINKAGE_BYTES = FUNC_LINKAGE.map(ascii);
const UNKNOWN_LINKAGE = ascii('(unknown)');

/**
 * The raw dump of a BTF object's own types (split BTF: only the module's, as
 * bpftool does) as byte chunks of about `chunkBytes`, each ending at a type
 * boundary. Bytes go straight from the type and string sections to the
 * output: no per-type objects or strings. A yielded chunk is never reused.
 */
export function* dumpBtfRawBytes(btf: Btf, chunkBytes = 1 << 20): Generator<Uint8Array> {
  const out = new DumpSink(chunkBytes);
  const view = dumpView(btf);
  for (let id = btf.startId; id < btf.typeCount; ) {
    id = dumpRawTypes(view, out, id);
    if (out.pos) yield out.take();
  }
}

const name = (out: DumpSink, strs: Uint8Array, off: number): void => {
  if (off === 0) out.lit(T.anon);
  else out.cstr(strs, off);
};

/**
 * Writes types from `id` on until the sink holds a chunk; returns the next id.
 * A plain function, not the generator: V8 optimizes its loop while it runs.
 */
function dumpRawTypes(view: DumpView, out: DumpSink, id: number): number {
  const { words: w, rec, strs, typeCount } = view;
  for (; id < typeCount; id++) {
    const p = rec[id]!;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = w[p + 2]!;
    out.byte(91); // [
    out.uint(id);
    out.byte(93);
    out.byte(32);
    out.lit(KIND_BYTES[kind]!);
    out.byte(32);
    out.byte(39);
    name(out, strs, w[p]!);
    out.byte(39);
    switch (kind) {
      case 1: {
        const x = w[p + 3]!;
        out.lit(T.size);
        out.uint(st);
        out.lit(T.bitsOffset);
        out.uint((x >>> 16) & 0xff);
        out.lit(T.nrBits);
        out.uint(x & 0xff);
        out.lit(T.encoding);
        out.lit(INT_ENC_BYTES[(x >>> 24) & 0xf] ?? INT_ENC_BYTES[3]!);
        break;
      }
      case 2:
      case 8:
      case 9:
      case 10:
      case 11:
      case 18:
        out.lit(T.typeId);
        out.uint(st);
        break;
      case 3:
        out.lit(T.typeId);
        out.uint(w[p + 3]!);
        out.lit(T.indexTypeId);
        out.uint(w[p + 4]!);
        out.lit(T.nrElems);
        out.uint(w[p + 5]!);
        break;
      case 4:
      case 5:
        out.lit(T.size);
        out.uint(st);
        out.lit(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const off = w[q + 2]!;
          out.lit(T.nlTabQuote);
          name(out, strs, w[q]!);
          out.lit(T.memberTypeId);
          out.uint(w[q + 1]!);
          out.lit(T.bitsOffset);
          out.uint(kflag ? off & 0xffffff : off);
          if (kflag && off >>> 24) {
            out.lit(T.bitfieldSize);
            out.uint(off >>> 24);
          }
        }
        break;
      case 6:
        out.lit(T.encoding);
        out.lit(kflag ? T.signed : T.unsigned);
        out.lit(T.size);
        out.uint(st);
        out.lit(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          out.lit(T.nlTabQuote);
          name(out, strs, w[q]!);
          out.lit(T.val);
          if (kflag) out.int(w[q + 1]! | 0);
          else out.uint(w[q + 1]!);
        }
        break;
      case 19:
        out.lit(T.encoding);
        out.lit(kflag ? T.signed : T.unsigned);
        out.lit(T.size);
        out.uint(st);
        out.lit(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          out.lit(T.nlTabQuote);
          name(out, strs, w[q]!);
          out.lit(T.val);
          const raw = (BigInt(w[q + 2]!) << 32n) | BigInt(w[q + 1]!);
          out.lit(ascii(kflag ? `${BigInt.asIntN(64, raw)}LL` : `${raw}ULL`));
        }
        break;
      case 7:
        out.lit(T.fwdKind);
        out.lit(kflag ? T.union : T.struct);
        break;
      case 12:
        out.lit(T.typeId);
        out.uint(st);
        out.lit(T.linkage);
        out.lit(FUNC_LINKAGE_BYTES[vlen] ?? UNKNOWN_LINKAGE);
        break;
      case 13:
        out.lit(T.retTypeId);
        out.uint(st);
        out.lit(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          out.lit(T.nlTabQuote);
          name(out, strs, w[q]!);
          out.lit(T.memberTypeId);
          out.uint(w[q + 1]!);
        }
        break;
      case 14:
        out.lit(T.typeId);
        out.uint(st);
        out.lit(T.varLinkage);
        out.lit(FUNC_LINKAGE_BYTES[w[p + 3]!] ?? UNKNOWN_LINKAGE);
        break;
      case 15:
        out.lit(T.size);
        out.uint(st);
        out.lit(T.vlen);
        out.uint(vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const vt = w[q]!;
          out.lit(T.secTypeId);
          out.uint(vt);
          out.lit(T.offset);
          out.uint(w[q + 1]!);
          out.lit(T.size);
          out.uint(w[q + 2]!);
          if (vt < typeCount) {
            const vp = rec[vt]!;
            out.byte(32);
            out.byte(40);
            out.lit(KIND_BYTES[(w[vp + 1]! >>> 24) & 0x1f]!);
            out.byte(32);
            out.byte(39);
            name(out, strs, w[vp]!);
            out.byte(39);
            out.byte(41);
          }
        }
        break;
      case 16:
        out.lit(T.size);
        out.uint(st);
        break;
      case 17:
        out.lit(T.typeId);
        out.uint(st);
        out.lit(T.componentIdx);
        out.int(w[p + 3]! | 0);
        break;
    }
    out.byte(10);
    if (out.pos >= out.chunkBytes) return id + 1;
  }
  return id;
}

/** dumpBtfRawBytes as strings (same chunk boundaries). */
export function* dumpBtfRawChunks(btf: Btf, chunkBytes = 1 << 20): Generator<string> {
  const dec = new TextDecoder();
  for (const c of dumpBtfRawBytes(btf, chunkBytes)) yield dec.decode(c);
}

export function dumpBtfRaw(btf: Btf): string {
  return chunksToString(dumpBtfRawBytes(btf));
}
