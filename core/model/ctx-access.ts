// A model's ctx rules for the verifier: its is_valid_access (per-member `ctx`: argument
// slots not accessible, or an argument's pointer type overridden, as bpf_qdisc does for
// enqueue's to_free) and its btf_struct_access (`writable`: the kernel fields programs
// may write through a trusted pointer).
import type { Btf } from '../btf/btf';
import { findMember, resolveType } from '../btf/layout';
import type { CtxAccessRules } from '../verifier/index';
import type { ResolvedModel } from './resolve';

/** Byte range of a field path (`limit`, `q.qlen`, `cb`) in a struct, or undefined. */
export function fieldRange(
  btf: Btf,
  structId: number,
  path: string,
): { off: number; end: number } | undefined {
  let id = structId;
  let off = 0;
  let size = 0;
  for (const part of path.replace(/\[\d+\]$/, '').split('.')) {
    let loc: ReturnType<typeof findMember>;
    try {
      loc = findMember(btf, id, part);
    } catch {
      return undefined;
    }
    if (!loc) return undefined;
    off += loc.offset;
    size = loc.size;
    id = resolveType(btf, loc.type);
  }
  return { off, end: off + size };
}

export function modelCtxAccess(model: ResolvedModel, member: string, types: Btf): CtxAccessRules {
  const so = model.model.struct_ops;
  const rules = so.members.find((m) => m.name === member)?.ctx;
  const out: CtxAccessRules = {};
  if (rules?.refcounted?.length) out.refcountedArgs = rules.refcounted;
  if (rules) {
    out.isValidAccess = (off, size, type, base) => {
      if (rules.access === 'none') return undefined;
      const over = rules.btf_args?.find((a) => a.arg * 8 === off);
      if (!over || type !== 'read' || size !== 8) return base();
      const btfId = types.findByName(over.type, 'STRUCT');
      if (btfId === undefined) return base();
      return { regType: 'PTR_TO_BTF_ID', btfId, trusted: over.trusted };
    };
  }
  const writable = so.writable;
  if (writable?.length) {
    out.btfStructAccess = (btfId, off, size) => {
      let name = '';
      let sid = btfId;
      try {
        sid = resolveType(types, btfId);
        name = types.nameOf(sid);
      } catch {
        return 'only read is supported';
      }
      const w = writable.find((x) => x.struct === name);
      if (!w) return 'only read is supported';
      for (const f of w.fields) {
        const r = fieldRange(types, sid, f);
        if (!r || off < r.off || off >= r.end) continue;
        if (off + size > r.end)
          return `write access at off ${off} with size ${size} beyond the member of ${name} ended at ${r.end}`;
        return null;
      }
      return `no write support to ${name} at off ${off}`;
    };
  }
  return out;
}
