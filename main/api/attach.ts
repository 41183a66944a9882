// An API program's struct_ops attach (StructOpsAttachParam) as the verifier takes it.
import type { StructOpsAttachParam } from './types';

export function loadAttachOf(
  a: StructOpsAttachParam,
): { struct: string; member: string } | { struct: string; member: null; memberIndex: number } {
  return 'memberIndex' in a
    ? { struct: a.struct, member: null, memberIndex: a.memberIndex }
    : { struct: a.struct, member: a.member };
}
