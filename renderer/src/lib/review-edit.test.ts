import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyReviewEdit } from './review-edit';

const qdisc = readFileSync(join(resolve(__dirname, '../../..'), 'models/qdisc.yaml'), 'utf8');

describe('applyReviewEdit', () => {
  it('appends a review list and keeps every other line of the file as it was', () => {
    const out = applyReviewEdit(qdisc, {
      kind: 'add',
      on: 'reset',
      note: 'shares the epilogue: one kfunc, two callers',
      by: 'alice',
    });
    expect(out.startsWith(qdisc.trimEnd())).toBe(true);
    expect(parse(out).review).toEqual([
      { on: 'reset', note: 'shares the epilogue: one kfunc, two callers', by: 'alice', status: 'open' },
    ]);
  });

  it('adds to, edits and resolves notes in place', () => {
    let t = applyReviewEdit(qdisc, { kind: 'add', on: 'init', note: 'first' });
    t = applyReviewEdit(t, { kind: 'add', on: 'bpf_qdisc_init_prologue', note: 'second' });
    t = applyReviewEdit(t, { kind: 'edit', index: 0, note: 'first, edited' });
    t = applyReviewEdit(t, { kind: 'status', index: 1, status: 'resolved' });
    expect(parse(t).review).toEqual([
      { on: 'init', note: 'first, edited', status: 'open' },
      { on: 'bpf_qdisc_init_prologue', note: 'second', status: 'resolved' },
    ]);
    expect(t.startsWith(qdisc.trimEnd())).toBe(true);
  });

  it('refuses a note index the file does not have, and a file that does not parse', () => {
    expect(() => applyReviewEdit(qdisc, { kind: 'status', index: 3, status: 'resolved' })).toThrow(
      'no review note #3 in the file',
    );
    expect(() => applyReviewEdit('a: [1,\n', { kind: 'add', on: 'x', note: 'y' })).toThrow(/does not parse/);
  });
});

describe('applyReviewEdit on a review list in the middle of a file', () => {
  it('rewrites only that list', () => {
    const head = 'subsystem: x  # keep me\nreview:\n  - { on: a, note: one }\n';
    const rest = 'kfunc_sets: []\nwrappers: [ ]   # padded flow, kept\n';
    const out = applyReviewEdit(head + rest, { kind: 'status', index: 0, status: 'resolved' });
    expect(out.startsWith('subsystem: x  # keep me\n')).toBe(true);
    expect(out.endsWith(rest)).toBe(true);
    expect(parse(out).review).toEqual([{ on: 'a', note: 'one', status: 'resolved' }]);
  });
});
