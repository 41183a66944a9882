// A struct_ops instance (a `.struct_ops` map of a BPF object) checked as the kernel checks
// it at map update and registration: every program implements the member it is placed in
// and loaded, and the members the subsystem requires (compulsory ops in init_member,
// validate, reg) all have one. The kernel answers these with an errno only; the messages
// here say which rule refused.
import type { ProgramCheck } from './check';
import type { ModelDiagnostic, ModelSource } from './load';
import type { Model } from './schema';

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
): string | null {
  const so = model.struct_ops;
  for (const [member, prog] of Object.entries(instance.programs)) {
    const pc = programs.find((p) => p.name === prog);
    if (pc?.verified === 'rejected')
      return `program ${prog} for ${member} failed to load: ${pc.error ?? 'rejected'}`;
  }
  for (const req of so.required ?? []) {
    const any = typeof req === 'string' ? [req] : req;
    if (!any.some((m) => instance.programs[m] !== undefined))
      return `${so.name} requires ${any.join(' or ')} (-EINVAL)`;
  }
  return null;
}

/** Checks every instance of the model; model errors (bad names) and changed outcomes are diagnostics. */
export function checkInstances(
  model: Model,
  source: ModelSource,
  programs: readonly ProgramCheck[],
): { instances: InstanceCheck[]; diagnostics: ModelDiagnostic[] } {
  const diagnostics: ModelDiagnostic[] = [];
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
    if (!ok) return;
    const error = instanceError(model, inst, programs);
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
