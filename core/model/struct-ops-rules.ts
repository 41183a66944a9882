// A model's struct_ops rules as the data the verifier's generic rules take
// (core/verifier/progtypes/struct-ops-rules.ts): one definition, used by model loads and,
// compiled into core/kernel/struct-ops-rules.ts, by loads against the reference kernel.
import type { StructOpsRules } from '../verifier/progtypes/struct-ops-rules';
import { formatDiagnostic, loadModel } from './load';
import type { Model } from './schema';

export function modelStructOpsRules(model: Model): StructOpsRules {
  const so = model.struct_ops;
  const rules: StructOpsRules = {
    name: so.name,
    members: so.members.map((m) => ({
      name: m.name,
      ...(m.kind ? { kind: m.kind } : {}),
      ...(m.sleepable ? { sleepable: true } : {}),
      ...(m.ctx ? { ctx: m.ctx } : {}),
    })),
  };
  if (so.sleepable) rules.sleepable = so.sleepable;
  if (so.writable?.length) rules.writable = so.writable;
  if (so.writable_style) rules.writableStyle = so.writable_style;
  if (so.promote?.length) rules.promote = so.promote;
  if (so.helpers?.length) rules.helpers = so.helpers;
  if (so.helper_rule) rules.helperRule = so.helper_rule;
  const filters = model.kfunc_sets.flatMap((s) =>
    s.filter_rule ? [{ kfuncs: s.kfuncs.map((k) => kfuncName(k.decl)), filter: s.filter_rule }] : [],
  );
  if (filters.length) rules.kfuncFilters = filters;
  return rules;
}

/** The function name in a C prototype (`u32 tcp_slow_start(struct tcp_sock *tp, u32 acked)`). */
const kfuncName = (decl: string): string => /([A-Za-z_]\w*)\s*\(/.exec(decl)?.[1] ?? decl;

/** Shipped models whose struct_ops the reference build registers (the others it lacks). */
export const REFERENCE_STRUCT_OPS_MODELS = ['tcp_cc.yaml'] as const;

/** The text of core/kernel/struct-ops-rules.ts, from the shipped models `read` returns. */
export function referenceStructOpsSource(read: (file: string) => string): string {
  const rules = REFERENCE_STRUCT_OPS_MODELS.map((f) => {
    const l = loadModel(`models/${f}`, read(f));
    if (!l.model) throw new Error(l.diagnostics.map(formatDiagnostic).join('\n'));
    return modelStructOpsRules(l.model);
  });
  return [
    `// Generated from ${REFERENCE_STRUCT_OPS_MODELS.map((f) => `models/${f}`).join(', ')} by`,
    '// scripts/gen-struct-ops-rules.ts: the struct_ops subsystems the reference kernel registers.',
    '// Do not edit; edit the model and regenerate (core/model/struct-ops-rules.test.ts checks).',
    "import type { StructOpsRules } from '../verifier/progtypes/struct-ops-rules';",
    '',
    `export const REFERENCE_STRUCT_OPS: readonly StructOpsRules[] = ${JSON.stringify(rules, null, 2)};`,
    '',
  ].join('\n');
}
