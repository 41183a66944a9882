import { describe, expect, it } from 'vitest';
import { betterOf, ratioRow } from './reference';

describe('rows against a reference measured in the same run', () => {
  const row = { area: 'isa', what: 'loop', value: 300, unit: 'insns/s' };

  it('meet the target on the better side of the ratio, by unit', () => {
    expect(ratioRow(row, { name: 'ubpf', value: 200, target: 1 })).toMatchObject({
      referenceValue: 200,
      ok: true,
    });
    expect(ratioRow(row, { name: 'ubpf', value: 400, target: 1 }).ok).toBe(false);
    const time = { area: 'btf', what: 'dump', value: 260, unit: 'ms CPU' };
    expect(ratioRow(time, { name: 'bpftool', value: 70, target: 1 })).toMatchObject({ ok: false });
    expect(ratioRow(time, { name: 'bpftool', value: 300, target: 1 }).reference).toBe(
      'bpftool: 300 ms CPU; target ≤ 1.0×',
    );
  });

  it('say so when the reference did not run here, with no ratio and no verdict', () => {
    const r = ratioRow(row, { name: 'the kernel', value: undefined, target: 2 });
    expect(r.referenceValue).toBeUndefined();
    expect(r.ok).toBeUndefined();
    expect(r.reference).toBe('the kernel: not measured here (≥ 2.0×)');
  });

  it('know which way is better for rates, times and sizes', () => {
    expect(['insns/s', 'fps', 'ms', 'ms CPU', 'MiB', 'passes'].map(betterOf)).toEqual([
      'higher',
      'higher',
      'lower',
      'lower',
      'lower',
      undefined,
    ]);
  });
});
