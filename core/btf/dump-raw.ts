// `bpftool btf dump file F` (raw format), line for line: tools/bpf/bpftool/btf.c dump_btf_type.
import type { Btf } from './btf';
import { ascii, chunksToString, DumpSink, putInt, putLit, putUint } from './dump-out';
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
 * output: no per-type objects or strings. A yielded chunk stays valid unless
 * `reuse` is set: then it is overwritten by the next one (for consumers that
 * write it out before asking for more), which spares a fresh megabyte per chunk.
 */
export function* dumpBtfRawBytes(btf: Btf, chunkBytes = 1 << 20, reuse = false): Generator<Uint8Array> {
  const out = new DumpSink(chunkBytes);
  const view = dumpView(btf);
  for (let id = btf.startId; id < btf.typeCount; ) {
    id = dumpRawTypes(view, out, id);
    if (!out.pos) continue;
    if (reuse) {
      yield out.buf.subarray(0, out.pos);
      out.pos = 0;
    } else yield out.take();
  }
}

// The writer below keeps the buffer and position in locals and uses these pure
// helpers (each returns the new position): cheap calls even before V8 optimizes,
// and inlined once it does. Room is reserved per type and per name.

const roomFor = (vlen: number) => 128 + vlen * 96;

/**
 * A name ('(anon)' for none); -1 when the buffer lacks room for it and the rest
 * of its line (putNameGrowing grows the sink and calls again). Pure, so the writer's
 * buffer and position stay in registers rather than in a closure's context.
 */
function putName(b: Uint8Array, pos: number, strs: Uint8Array, off: number): number {
  if (off === 0) return putLit(b, pos, T.anon);
  let e = off;
  while (strs[e] !== 0) e++;
  if (pos + (e - off) + 256 > b.length) return -1;
  for (let k = off; k < e; k++) b[pos++] = strs[k]!;
  return pos;
}

/**
 * The name at `off`, growing the sink first when `b` (= out.buf) lacks room;
 * returns the new position. The caller re-reads out.buf afterwards.
 */
function putNameGrowing(out: DumpSink, b: Uint8Array, pos: number, strs: Uint8Array, off: number): number {
  const np = putName(b, pos, strs, off);
  if (np >= 0) return np;
  let e = off;
  while (strs[e] !== 0) e++;
  out.pos = pos;
  out.ensure(e - off + 256);
  return putName(out.buf, pos, strs, off);
}

/**
 * Writes types from `id` on until the sink holds a chunk; returns the next id.
 * A plain function, not the generator: V8 optimizes its loop while it runs.
 */
function dumpRawTypes(view: DumpView, out: DumpSink, id: number): number {
  const { words: w, rec, strs, typeCount } = view;
  let b = out.buf;
  let pos = out.pos;
  for (; id < typeCount; id++) {
    const p = rec[id]!;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const st = w[p + 2]!;
    if (pos + roomFor(vlen) > b.length) {
      out.pos = pos;
      out.ensure(roomFor(vlen));
      b = out.buf;
    }
    b[pos++] = 91; // [
    pos = putUint(b, pos, id);
    b[pos++] = 93;
    b[pos++] = 32;
    pos = putLit(b, pos, KIND_BYTES[kind]!);
    b[pos++] = 32;
    b[pos++] = 39;
    pos = putNameGrowing(out, b, pos, strs, w[p]!);
    b = out.buf;
    b[pos++] = 39;
    switch (kind) {
      case 1: {
        const x = w[p + 3]!;
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.bitsOffset);
        pos = putUint(b, pos, (x >>> 16) & 0xff);
        pos = putLit(b, pos, T.nrBits);
        pos = putUint(b, pos, x & 0xff);
        pos = putLit(b, pos, T.encoding);
        pos = putLit(b, pos, INT_ENC_BYTES[(x >>> 24) & 0xf] ?? INT_ENC_BYTES[3]!);
        break;
      }
      case 2:
      case 8:
      case 9:
      case 10:
      case 11:
      case 18:
        pos = putLit(b, pos, T.typeId);
        pos = putUint(b, pos, st);
        break;
      case 3:
        pos = putLit(b, pos, T.typeId);
        pos = putUint(b, pos, w[p + 3]!);
        pos = putLit(b, pos, T.indexTypeId);
        pos = putUint(b, pos, w[p + 4]!);
        pos = putLit(b, pos, T.nrElems);
        pos = putUint(b, pos, w[p + 5]!);
        break;
      case 4:
      case 5:
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.vlen);
        pos = putUint(b, pos, vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const off = w[q + 2]!;
          pos = putLit(b, pos, T.nlTabQuote);
          pos = putNameGrowing(out, b, pos, strs, w[q]!);
          b = out.buf;
          pos = putLit(b, pos, T.memberTypeId);
          pos = putUint(b, pos, w[q + 1]!);
          pos = putLit(b, pos, T.bitsOffset);
          pos = putUint(b, pos, kflag ? off & 0xffffff : off);
          if (kflag && off >>> 24) {
            pos = putLit(b, pos, T.bitfieldSize);
            pos = putUint(b, pos, off >>> 24);
          }
        }
        break;
      case 6:
        pos = putLit(b, pos, T.encoding);
        pos = putLit(b, pos, kflag ? T.signed : T.unsigned);
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.vlen);
        pos = putUint(b, pos, vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          pos = putLit(b, pos, T.nlTabQuote);
          pos = putNameGrowing(out, b, pos, strs, w[q]!);
          b = out.buf;
          pos = putLit(b, pos, T.val);
          pos = kflag ? putInt(b, pos, w[q + 1]! | 0) : putUint(b, pos, w[q + 1]!);
        }
        break;
      case 19:
        pos = putLit(b, pos, T.encoding);
        pos = putLit(b, pos, kflag ? T.signed : T.unsigned);
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.vlen);
        pos = putUint(b, pos, vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          pos = putLit(b, pos, T.nlTabQuote);
          pos = putNameGrowing(out, b, pos, strs, w[q]!);
          b = out.buf;
          pos = putLit(b, pos, T.val);
          const raw = (BigInt(w[q + 2]!) << 32n) | BigInt(w[q + 1]!);
          pos = putLit(b, pos, ascii(kflag ? `${BigInt.asIntN(64, raw)}LL` : `${raw}ULL`));
        }
        break;
      case 7:
        pos = putLit(b, pos, T.fwdKind);
        pos = putLit(b, pos, kflag ? T.union : T.struct);
        break;
      case 12:
        pos = putLit(b, pos, T.typeId);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.linkage);
        pos = putLit(b, pos, FUNC_LINKAGE_BYTES[vlen] ?? UNKNOWN_LINKAGE);
        break;
      case 13:
        pos = putLit(b, pos, T.retTypeId);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.vlen);
        pos = putUint(b, pos, vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 2) {
          pos = putLit(b, pos, T.nlTabQuote);
          pos = putNameGrowing(out, b, pos, strs, w[q]!);
          b = out.buf;
          pos = putLit(b, pos, T.memberTypeId);
          pos = putUint(b, pos, w[q + 1]!);
        }
        break;
      case 14:
        pos = putLit(b, pos, T.typeId);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.varLinkage);
        pos = putLit(b, pos, FUNC_LINKAGE_BYTES[w[p + 3]!] ?? UNKNOWN_LINKAGE);
        break;
      case 15:
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.vlen);
        pos = putUint(b, pos, vlen);
        for (let j = 0, q = p + 3; j < vlen; j++, q += 3) {
          const vt = w[q]!;
          pos = putLit(b, pos, T.secTypeId);
          pos = putUint(b, pos, vt);
          pos = putLit(b, pos, T.offset);
          pos = putUint(b, pos, w[q + 1]!);
          pos = putLit(b, pos, T.size);
          pos = putUint(b, pos, w[q + 2]!);
          if (vt < typeCount) {
            const vp = rec[vt]!;
            b[pos++] = 32;
            b[pos++] = 40;
            pos = putLit(b, pos, KIND_BYTES[(w[vp + 1]! >>> 24) & 0x1f]!);
            b[pos++] = 32;
            b[pos++] = 39;
            pos = putNameGrowing(out, b, pos, strs, w[vp]!);
            b = out.buf;
            b[pos++] = 39;
            b[pos++] = 41;
          }
        }
        break;
      case 16:
        pos = putLit(b, pos, T.size);
        pos = putUint(b, pos, st);
        break;
      case 17:
        pos = putLit(b, pos, T.typeId);
        pos = putUint(b, pos, st);
        pos = putLit(b, pos, T.componentIdx);
        pos = putInt(b, pos, w[p + 3]! | 0);
        break;
    }
    b[pos++] = 10;
    if (pos >= out.chunkBytes) {
      out.pos = pos;
      return id + 1;
    }
  }
  out.pos = pos;
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
