// BTF kinds and on-disk constants (include/uapi/linux/btf.h).

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** sizeof(struct btf_header) for version 1. */
export const BTF_HDR_LEN = 24;
/** sizeof(struct btf_type). */
export const BTF_TYPE_LEN = 12;
export const BTF_MAX_VLEN = 0xffff;
/** Bits of btf_type.info that may be set: vlen, kind, kind_flag (BTF_INFO_MASK). */
export const BTF_INFO_MASK = 0x9f00ffff;

export const BTF_KIND_UNKN = 0;
export const BTF_KIND_INT = 1;
export const BTF_KIND_PTR = 2;
export const BTF_KIND_ARRAY = 3;
export const BTF_KIND_STRUCT = 4;
export const BTF_KIND_UNION = 5;
export const BTF_KIND_ENUM = 6;
export const BTF_KIND_FWD = 7;
export const BTF_KIND_TYPEDEF = 8;
export const BTF_KIND_VOLATILE = 9;
export const BTF_KIND_CONST = 10;
export const BTF_KIND_RESTRICT = 11;
export const BTF_KIND_FUNC = 12;
export const BTF_KIND_FUNC_PROTO = 13;
export const BTF_KIND_VAR = 14;
export const BTF_KIND_DATASEC = 15;
export const BTF_KIND_FLOAT = 16;
export const BTF_KIND_DECL_TAG = 17;
export const BTF_KIND_TYPE_TAG = 18;
export const BTF_KIND_ENUM64 = 19;
export const BTF_KIND_MAX = 19;

/** Kind names as bpftool prints them; index = kind number. */
export const BTF_KIND_NAMES = [
  'UNKNOWN',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
] as const;

export type BtfKindName = Exclude<(typeof BTF_KIND_NAMES)[number], 'UNKNOWN'>;

export function btfKindNumber(name: string): number | undefined {
  const k = (BTF_KIND_NAMES as readonly string[]).indexOf(name.toUpperCase());
  return k > 0 ? k : undefined;
}

/** BTF_INT_* encoding bits. */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** FUNC linkage (enum btf_func_linkage), stored in vlen. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

/** VAR linkage. */
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** Bytes of per-kind data following struct btf_type (excluding vlen entries). */
export function kindExtraFixed(kind: number): number {
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      return 4;
    case BTF_KIND_ARRAY:
      return 12;
    default:
      return 0;
  }
}

/** Bytes per vlen entry. */
export function kindVlenEntry(kind: number): number {
  switch (kind) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_DATASEC:
    case BTF_KIND_ENUM64:
      return 12;
    case BTF_KIND_ENUM:
    case BTF_KIND_FUNC_PROTO:
      return 8;
    default:
      return 0;
  }
}
