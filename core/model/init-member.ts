// What map update does with a struct_ops map's data members (kernel/bpf/bpf_struct_ops.c
// bpf_struct_ops_map_update_elem): the subsystem's init_member takes the members it knows
// — each model names the kernel's case as one of these generic checks — and every other
// non-function member must be all zero bytes. The kernel answers with an errno and logs
// nothing here; registration (reg) may refuse a name already registered.
import type { ErrnoName, InitMemberRule, Model } from './schema';

export const ERRNO: Readonly<Record<ErrnoName, number>> = {
  EINVAL: 22,
  E2BIG: 7,
  EEXIST: 17,
  ENOTSUPP: 524,
  EACCES: 13,
};

export type DataValue = number | string;

/** `(-EINVAL, errno only)` or `(-EEXIST; kernel log: "…")`. */
export function errnoText(errno: ErrnoName, message?: string): string {
  return message ? `(-${errno}; kernel log: "${message}")` : `(-${errno}, errno only)`;
}

/**
 * bpf_obj_name_cpy(dst, src, size): the length copied, or why it is refused. Only
 * [A-Za-z0-9_.] are copied; the name must end (NUL) inside the `size`-byte array.
 */
export function objNameCpy(name: string, size: number): { len: number } | { error: string } {
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (i >= size) break;
    if (!/[A-Za-z0-9_.]/.test(c)) return { error: `'${name}' has '${c}' (only [A-Za-z0-9_.] are copied)` };
  }
  if (name.length >= size) return { error: `'${name}' has no NUL within its ${size} bytes` };
  return { len: name.length };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

function asBig(v: DataValue): bigint | undefined {
  if (typeof v === 'number') return BigInt(v);
  try {
    return BigInt(v);
  } catch {
    return undefined;
  }
}

/**
 * One init_member case on `value` (undefined = the map holds zeroes there): null when the
 * kernel takes it, else its refusal. `size` is the member's size in bytes (char arrays: length).
 */
export function initMemberError(
  member: string,
  rule: InitMemberRule,
  value: DataValue | undefined,
  size: number | undefined,
): string | null {
  const refuse = (why: string) => `init_member ${member}: ${why} ${errnoText(rule.errno, rule.message)}`;
  switch (rule.check) {
    case 'copy':
      return null;
    case 'obj_name': {
      const name = value === undefined ? '' : String(value);
      const r = objNameCpy(name, size ?? Number.POSITIVE_INFINITY);
      if ('error' in r) return refuse(r.error);
      return r.len === 0 ? refuse('empty (bpf_obj_name_cpy copied 0 bytes)') : null;
    }
    case 'mask': {
      const v = value === undefined ? 0n : asBig(value);
      const mask = BigInt(rule.mask ?? 0);
      if (v === undefined) return refuse(`'${value}' is not a number`);
      const extra = v & ~mask;
      return extra
        ? refuse(`${hex(v)} has bits ${hex(extra)} outside ${rule.name ?? 'the mask'} (${hex(mask)})`)
        : null;
    }
    case 'max': {
      const v = value === undefined ? 0n : asBig(value);
      const max = BigInt(rule.max ?? 0);
      if (v === undefined) return refuse(`'${value}' is not a number`);
      return v > max ? refuse(`${v} > ${rule.name ? `${rule.name} (${max})` : max}`) : null;
    }
    case 'zero': {
      const v = value === undefined ? 0n : asBig(value);
      return v === 0n ? null : refuse(`${value} must be 0 (the kernel fills it)`);
    }
  }
}

/** A data member init_member does not take: any non-zero byte refuses the map. */
export function zeroMemberError(member: string, value: DataValue | undefined): string | null {
  if (value === undefined || value === 0 || value === '' || value === '0') return null;
  return `map update ${member}: init_member does not take it, so it must be zero ${errnoText('EINVAL')}`;
}

/** reg: a name already registered is refused. */
export function uniqueNameError(
  rule: NonNullable<Model['struct_ops']['unique_name']>,
  value: DataValue | undefined,
): string | null {
  const name = value === undefined ? '' : String(value);
  if (!rule.registered.includes(name)) return null;
  const message = rule.message?.replaceAll('{name}', name);
  return `reg ${rule.member}: '${name}' is already registered ${errnoText(rule.errno, message)}`;
}
