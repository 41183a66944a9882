// Review notes a model carries (top-level `review:`): a reviewer's remark on one named
// item of the model — a member, kfunc, kfunc set, wrapper or program — with who made it
// and whether it is settled. An `on:` naming nothing in the model is an error at its place.
import { z } from 'zod';
import type { ModelDiagnostic, ModelSource } from './load';
import type { Model } from './schema';

export const REVIEW_STATUSES = ['open', 'resolved'] as const;

export const reviewNote = z.strictObject({
  on: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a C identifier')
    .describe('a member, kfunc, kfunc set, wrapper or program of this model'),
  note: z.string().min(1, 'needs text'),
  by: z.string().optional().describe('who wrote it'),
  status: z.enum(REVIEW_STATUSES).default('open'),
});

export const reviewNotes = z
  .array(reviewNote)
  .default([])
  .describe('review notes on the model’s members, kfuncs, kfunc sets, wrappers and programs');

export type ReviewNote = z.output<typeof reviewNote>;
export type ReviewTargetKind = 'member' | 'kfunc' | 'kfunc set' | 'wrapper' | 'program';

/** Every name a note may be `on`, with what it is (a name may be several things, e.g. a program and its member). */
export function reviewTargets(model: Model, kfuncNames: Iterable<string>): Map<string, ReviewTargetKind[]> {
  const out = new Map<string, ReviewTargetKind[]>();
  const add = (name: string, kind: ReviewTargetKind) => out.set(name, [...(out.get(name) ?? []), kind]);
  for (const m of model.struct_ops.members) add(m.name, 'member');
  for (const s of model.kfunc_sets) add(s.name, 'kfunc set');
  for (const k of kfuncNames) add(k, 'kfunc');
  for (const w of model.wrappers) add(w.name, 'wrapper');
  for (const p of model.programs) add(p.name, 'program');
  return out;
}

/** An error at `review[i].on` for each note on a name the model does not have. */
export function checkReviewNotes(
  model: Model,
  kfuncNames: Iterable<string>,
  source: ModelSource,
): ModelDiagnostic[] {
  const targets = reviewTargets(model, kfuncNames);
  return (model.review ?? []).flatMap((n, i) =>
    targets.has(n.on)
      ? []
      : [
          source.diag(
            ['review', i, 'on'],
            `review note on '${n.on}': no member, kfunc, kfunc set, wrapper or program of that name`,
          ),
        ],
  );
}
