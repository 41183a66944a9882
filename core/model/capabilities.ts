// The member capability sheet of a subsystem: for each op, what its programs may do under
// the model's rules — attach (check_member), sleep, read as context arguments (with their
// __ref/__nullable CFI-stub annotations and is_valid_access overrides), call (kfuncs past
// the set filters, helpers of get_func_proto), write (btf_struct_access) and return, and
// which generated pro/epilogue surrounds them.
import { BPF_FUNC_MAX_ID } from '../isa/helper-names';
import { baseFuncProtoWith, bpfBaseFuncProto } from '../verifier/progtypes/func-protos';
import { kfuncFilterAllows } from '../verifier/progtypes/struct-ops-rules';
import { typeToString } from './cdecl';
import type { ResolvedModel } from './resolve';

export interface MemberCapabilities {
  member: string;
  /** check_member lets a program attach. */
  supported: boolean;
  /** 'allowed' (may be loaded sleepable) or 'no' (check_member refuses a sleepable program). */
  sleepable: 'allowed' | 'no';
  args: { name: string; type: string; annotations: string[] }[];
  returns: string;
  /** Kfuncs a program of this member may call; sleepable-only ones marked. */
  kfuncs: { name: string; sleepableOnly: boolean }[];
  helpers: string[];
  /** `struct.field` paths btf_struct_access lets it write. */
  writable: string[];
  prologue: boolean;
  epilogue: boolean;
}

export function memberCapabilities(m: ResolvedModel): MemberCapabilities[] {
  const so = m.model.struct_ops;
  // get_func_proto per member: helper_rule takes some of `helpers` from some members.
  const helpersOf = (member: string): string[] => {
    const denied = so.helper_rule?.deny[member] ?? [];
    const own = (so.helpers ?? []).filter((h) => !denied.includes(h));
    const proto = own.length ? baseFuncProtoWith(own) : bpfBaseFuncProto;
    const out: string[] = [];
    for (let id = 1; id < BPF_FUNC_MAX_ID; id++) {
      const p = proto(id);
      if (p) out.push(p.name);
    }
    return out;
  };
  const writable = (so.writable ?? []).flatMap((w) => w.fields.map((f) => `${w.struct}.${f}`));
  const filters = m.model.kfunc_sets.filter((s) => s.filter_rule);
  const promoted = new Map((so.promote ?? []).map((p) => [p.from, p.to]));
  return m.members
    .filter((mem) => mem.kind !== 'data')
    .map((mem) => {
      const spec = so.members.find((x) => x.name === mem.name);
      const ctx = spec?.ctx;
      const params = mem.func?.params ?? [];
      const args = params.map((p, i) => {
        const annotations: string[] = [];
        if (ctx?.refcounted?.includes(i)) annotations.push('__ref');
        if (ctx?.nullable?.includes(i)) annotations.push('__nullable');
        const over = ctx?.btf_args?.find((a) => a.arg === i);
        let type = typeToString(p.type, '').trim();
        if (over) type = `struct ${over.type} *`;
        else {
          const struct = /^struct (\w+) \*$/.exec(type)?.[1];
          const to = struct ? promoted.get(struct) : undefined;
          if (to) type = `struct ${to} *`;
        }
        if (ctx?.access === 'none') annotations.push('not readable');
        return { name: p.name ?? `arg${i}`, type, annotations };
      });
      const kfuncs = [...m.kfuncs.values()]
        .filter((k) => !k.hidden && k.hooks.includes('STRUCT_OPS'))
        .filter((k) =>
          filters.every((s) => s.name !== k.set || kfuncFilterAllows(s.filter_rule!, mem.name, k.name)),
        )
        .map((k) => ({ name: k.name, sleepableOnly: k.flags.includes('KF_SLEEPABLE') }));
      return {
        member: mem.name,
        supported: mem.kind !== 'unsupported',
        sleepable: so.sleepable === 'listed' && !mem.sleepable ? 'no' : 'allowed',
        args,
        returns: mem.func ? typeToString(mem.func.ret, '').trim() : 'void',
        kfuncs,
        helpers: helpersOf(mem.name),
        writable,
        prologue: !!mem.prologue,
        epilogue: !!mem.epilogue,
      };
    });
}
