// Ordering (designs' differences first, equal rows folded), Markdown that fits a mail
// (≤ 100 columns), and the text form.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from '../model/check';
import { compareDesigns } from './compare';
import {
  comparisonRows,
  formatComparisonMarkdown,
  formatComparisonTable,
  mdTableFit,
  orderRows,
  totalsRows,
} from './format';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const registry = new BtfRegistry(base);
const load = (path: string) => checkModel(path, readFileSync(join(root, path), 'utf8'), { btf: registry });
const MODELS = [
  'models/qdisc.yaml',
  'models/bpf_testmod_v2_kfunc.yaml',
  'test/fixtures/model/shared-epilogue.yaml',
];

describe('orderRows', () => {
  it('puts rows that differ first and ignores designs without numbers', () => {
    const rows = orderRows(
      [
        { metric: 'a', values: ['1', '1', '—'] },
        { metric: 'b', values: ['1', '2', '—'] },
        { metric: 'c', values: ['x', 'x', 'y'] },
      ],
      ['ok', 'ok', 'not-declared'],
    );
    expect(rows.map((r) => [r.metric, r.same])).toEqual([
      ['b', false],
      ['a', true],
      ['c', true],
    ]);
    // With one design left there is nothing to compare: nothing folds.
    expect(orderRows([{ metric: 'a', values: ['1', '—'] }], ['ok', 'absent'])[0]!.same).toBe(false);
  });
});

describe('comparison tables', () => {
  const qdisc = compareDesigns(load('models/qdisc.yaml'), base, { profile: 'auto' });

  it('folds the equal qdisc rows: instructions, JIT bytes and processed insns are the same', () => {
    const rows = comparisonRows(qdisc.members[0]!);
    const firstSame = rows.findIndex((r) => r.same);
    expect(rows.slice(firstSame).every((r) => r.same)).toBe(true);
    const same = rows.filter((r) => r.same).map((r) => r.metric);
    expect(same).toEqual(
      expect.arrayContaining([
        'xlated insns',
        'x86-64 JIT bytes (generated code)',
        'verifier work: processed insns',
      ]),
    );
    for (const r of rows.filter((x) => x.same)) expect(r.values[0]).toBe(r.values[1]);
    for (const r of rows.filter((x) => !x.same)) expect(r.values[0]).not.toBe(r.values[1]);
    const totals = totalsRows(qdisc.totals);
    expect(totals.find((r) => r.metric === 'per subsystem: BTF bytes emitted anyway')!.same).toBe(false);
  });

  it('shows — for the undeclared helper design, never 0', () => {
    const helper = (rows: ReturnType<typeof totalsRows>) =>
      rows.filter((r) => r.metric !== 'status').map((r) => r.values[2]);
    expect(new Set(helper(totalsRows(qdisc.totals)).filter((v) => v !== 'v6.18'))).toEqual(new Set(['—']));
  });

  it('prints the folded rows as one "same in" line', () => {
    const text = formatComparisonTable(qdisc);
    expect(text).toMatch(/^same in kfunc and wrapper: /m);
    expect(text.replace(/\n/g, ' ')).toContain('· xlated insns 12 ·');
    expect(text.indexOf('Totals')).toBeLessThan(text.indexOf('init (prologue'));
    expect(text.indexOf('Takeaway')).toBeLessThan(text.indexOf('Totals'));
  });

  it.each([
    ...MODELS,
    'models/bpf_testmod.yaml',
    'models/tcp_cc.yaml',
    'models/sched_ext.yaml',
    'models/hid_bpf.yaml',
  ])('keeps every Markdown line of %s within 100 columns', (m) => {
    const md = formatComparisonMarkdown(compareDesigns(load(m), base, { profile: 'auto' }));
    const wide = md.split('\n').filter((l) => l.length > 100);
    expect(wide).toEqual([]);
  });
});

describe('mdTableFit', () => {
  it('moves overflowing cells to numbered notes', () => {
    const long = 'x'.repeat(120);
    const t = mdTableFit(['', 'a', 'b'], [['m', long, 'short']], 100).split('\n');
    expect(t[2]).toBe('| m | [1] | short |');
    expect(t.slice(4).join(' ')).toBe(`[1] ${long}`);
    const words = `${'word '.repeat(40)}end`;
    const wrapped = mdTableFit(['', 'a'], [['m', words]], 100).split('\n');
    expect(wrapped.every((l) => l.length <= 100)).toBe(true);
    expect(wrapped.slice(4).join(' ')).toBe(`[1] ${words}`);
  });
});
