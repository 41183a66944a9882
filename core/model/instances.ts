// A struct_ops instance (a `.struct_ops` map of a BPF object) checked as the kernel checks
// it at map update and registration: every program implements the member it is placed in
// and loaded, and the members the subsystem requires (compulsory ops in init_member,
// validate, reg) all have one. The kernel answers these with an errno only; the messages
// here say which rule refused. Data members go through the subsystem's init_member cases
// (struct_ops.init_member) in struct order, the others must be zero; then validate's required
// members, then reg (a name already registered).
import type { ProgramCheck } from './check';
import { errnoText, initMemberError, uniqueNameError, zeroMemberError } from './init-member';
import type { ModelDiagnostic, ModelSource } from './load';
import type { Model } from './schema';

/** A data member's size in bytes (a char array's length), when the model's types tell it. */
export type MemberSize = (member: string) => number | undefined;

export interface InstanceCheck {
  name: string;
  /** Null when map update and registration would succeed. */
  error: string | null;
}

/** What the kernel refuses in `instance`, or null. `programs` are the model's verified programs. */
export function instanceError(
  model: Model,
  instance: Model['instances'][number],
  programs: readonly ProgramCheck[],
  sizeOf: MemberSize = () => undefined,
): string | null {
  const so = model.struct_ops;
  for (const [member, prog] of Object.entries(instance.programs)) {
    const pc = programs.find((p) => p.name === prog);
    if (pc?.verified === 'rejected')
      return `program ${prog} for ${member} failed to load: ${pc.error ?? 'rejected'}`;
  }
  const data = instance.data ?? {};
  for (const m of so.members) {
    if (m.kind !== 'data') continue;
    const rule = so.init_member?.[m.name];
    const err = rule
      ? initMemberError(m.name, rule, data[m.name], sizeOf(m.name))
      : zeroMemberError(m.name, data[m.name]);
    if (err) return err;
  }
  for (const req of so.required ?? []) {
    const any = typeof req === 'string' ? [req] : req;
    if (!any.some((m) => instance.programs[m] !== undefined))
      return `${so.name} requires ${any.join(' or ')} ${errnoText('EINVAL', fill(so.required_message, data))}`;
  }
  if (so.unique_name) return uniqueNameError(so.unique_name, data[so.unique_name.member]);
  return null;
}

/** A kernel message with `{member}` replaced by that data member's value. */
function fill(
  message: string | undefined,
  data: Readonly<Record<string, string | number>>,
): string | undefined {
  return message?.replace(/\{(\w+)\}/g, (_, m: string) => String(data[m] ?? ''));
}

/** The init_member and unique_name rules name data members and carry their parameters. */
export function checkInitMemberRules(model: Model, source: ModelSource): ModelDiagnostic[] {
  const so = model.struct_ops;
  const out: ModelDiagnostic[] = [];
  const isData = (name: string) => so.members.some((m) => m.name === name && m.kind === 'data');
  for (const [name, rule] of Object.entries(so.init_member ?? {})) {
    const at = ['struct_ops', 'init_member', name];
    if (!isData(name)) out.push(source.diag(at, `no data member '${name}' in ${so.name}`));
    if (rule.check === 'mask' && rule.mask === undefined)
      out.push(source.diag(at, 'check: mask needs mask (the bits allowed)'));
    if (rule.check === 'max' && rule.max === undefined)
      out.push(source.diag(at, 'check: max needs max (the largest value taken)'));
  }
  if (so.unique_name && !isData(so.unique_name.member))
    out.push(
      source.diag(['struct_ops', 'unique_name', 'member'], `no data member '${so.unique_name.member}'`),
    );
  return out;
}

/** Checks every instance of the model; model errors (bad names) and changed outcomes are diagnostics. */
export function checkInstances(
  model: Model,
  source: ModelSource,
  programs: readonly ProgramCheck[],
  sizeOf?: MemberSize,
): { instances: InstanceCheck[]; diagnostics: ModelDiagnostic[] } {
  const diagnostics: ModelDiagnostic[] = checkInitMemberRules(model, source);
  const instances: InstanceCheck[] = [];
  model.instances.forEach((inst, i) => {
    const path = ['instances', i];
    let ok = true;
    for (const [member, prog] of Object.entries(inst.programs)) {
      const m = model.struct_ops.members.find((x) => x.name === member);
      const p = model.programs.find((x) => x.name === prog);
      const at = [...path, 'programs', member];
      if (!m || m.kind === 'data') {
        diagnostics.push(source.diag(at, `no op member '${member}' in ${model.struct_ops.name}`));
        ok = false;
      } else if (!p) {
        diagnostics.push(source.diag(at, `no program '${prog}'`));
        ok = false;
      } else if (p.member !== member) {
        diagnostics.push(source.diag(at, `program '${prog}' implements ${p.member}, not ${member}`));
        ok = false;
      }
    }
    for (const member of Object.keys(inst.data ?? {})) {
      const m = model.struct_ops.members.find((x) => x.name === member);
      if (m?.kind !== 'data') {
        diagnostics.push(
          source.diag([...path, 'data', member], `no data member '${member}' in ${model.struct_ops.name}`),
        );
        ok = false;
      }
    }
    if (!ok) return;
    const error = instanceError(model, inst, programs, sizeOf);
    instances.push({ name: inst.name, error });
    // A program that unexpectedly failed to load is reported at the program already.
    const unexpected = Object.values(inst.programs).some((prog) => {
      const pc = programs.find((p) => p.name === prog);
      return pc?.verified === 'rejected' && !pc.rejectedAsPinned;
    });
    if (unexpected) return;
    const want = inst.expect?.error;
    if (error !== null && want === undefined)
      diagnostics.push(source.diag(path, `instance ${inst.name}: ${error}`));
    else if (error === null && want !== undefined)
      diagnostics.push(
        source.diag([...path, 'expect', 'error'], `instance ${inst.name} is accepted, expected: ${want}`),
      );
    else if (error !== null && want !== undefined && error !== want)
      diagnostics.push(
        source.diag([...path, 'expect', 'error'], `instance ${inst.name}: ${error}, expected: ${want}`),
      );
  });
  return { instances, diagnostics };
}
