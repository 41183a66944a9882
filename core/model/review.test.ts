import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModel } from './check';
import { formatDiagnostic } from './load';
import { reviewTargets } from './review';

const root = resolve(__dirname, '../..');
const fixture = 'test/fixtures/model/shared-epilogue.yaml';
const text = readFileSync(join(root, fixture), 'utf8');

describe('review notes', () => {
  it('accepts notes on members, kfuncs, kfunc sets and wrappers, open by default', () => {
    const r = checkModel(
      fixture,
      `${text}
review:
  - { on: stop, note: shares its epilogue with reset }
  - { on: demo_stop_epilogue, note: needs KF_TRUSTED_ARGS?, by: alice, status: resolved }
  - { on: demo_kfunc_ids, note: hidden by a filter }
`,
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.model!.review.map((n) => [n.on, n.status, n.by])).toEqual([
      ['stop', 'open', undefined],
      ['demo_stop_epilogue', 'resolved', 'alice'],
      ['demo_kfunc_ids', 'open', undefined],
    ]);
    expect(reviewTargets(r.model!, r.resolved!.kfuncs.keys()).get('demo_start_prologue')).toEqual([
      'kfunc',
      'wrapper',
    ]);
  });

  it('gives file:line:col for a note on a name the model does not have', () => {
    const lines = text.split('\n').length;
    const r = checkModel(fixture, `${text}review:\n  - note: typo\n    on: stpo\n`);
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    expect(errors).toEqual([
      `${fixture}:${lines + 2}:9: review note on 'stpo': no member, kfunc, kfunc set, wrapper or program of that name`,
    ]);
  });

  it('rejects an unknown status and an unknown key', () => {
    const r = checkModel(fixture, `${text}review:\n  - { on: stop, note: x, status: wontfix, when: now }\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThanOrEqual(1);
  });
});
