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

/**
 * The raw dump of a BTF object's own types (split BTF: only the module's,
 * as bpftool does), in chunks of about `chunkTypes` types for streaming.
 */
export function* dumpBtfRawChunks(btf: Btf, chunkTypes = 4096): Generator<string> {
  const start = btf.base ? btf.base.typeCount : 1;
  let buf: string[] = [];
  for (let id = start; id < btf.typeCount; id++) {
    buf.push(dumpBtfTypeRaw(btf, id));
    if (buf.length === chunkTypes) {
      yield `${buf.join('\n')}\n`;
      buf = [];
    }
  }
  if (buf.length) yield `${buf.join('\n')}\n`;
}

export function dumpBtfRaw(btf: Btf): string {
  return [...dumpBtfRawChunks(btf)].join('');
}
