// Model diff: what a revision added, removed or changed, and the costs that moved.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from '../model/check';
import { compareDesigns } from './compare';
import { diffModels } from './diff';
import { formatDiffMarkdown, formatDiffTable } from './diff-format';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const registry = new BtfRegistry(base);
const side = (path: string, profile: 'auto' | 'v6.18' | 'bpf-next-2026' = 'auto', text?: string) => {
  const check = checkModel(path, text ?? readFileSync(join(root, path), 'utf8'), { btf: registry });
  return { check, comparison: compareDesigns(check, base, { profile }) };
};

describe('diffModels', () => {
  const v2 = side('models/bpf_testmod_v2_kfunc.yaml');
  const upstream = side('models/bpf_testmod.yaml');
  const d = diffModels(v2, upstream);
  const change = (kind: string, name: string) => d.changes.find((c) => c.kind === kind && c.name === name);

  it('names what the upstream bpf_testmod changed against the v2 kfunc proposal', () => {
    expect(change('kfunc', 'bpf_kfunc_st_ops_inc100')?.change).toBe('removed');
    expect(change('kfunc', 'bpf_kfunc_st_ops_test_prologue')?.change).toBe('added');
    expect(change('wrapper', 'bpf_kfunc_st_ops_inc10')?.change).toBe('removed');
    expect(change('generated', 'test_prologue.prologue')?.change).toBe('added');
    const epi = change('generated', 'test_epilogue.epilogue')!;
    expect(epi.change).toBe('changed');
    expect(epi.detail).toMatch(/− [^+]*call bpf_kfunc_st_ops_inc100/);
    expect(change('program', 'test_prologue')?.change).toBe('added');
    expect(change('kfunc set', 'bpf_testmod_check_kfunc_ids')?.change).toBe('changed');
    expect(change('member', 'test_epilogue')).toBeUndefined();
  });

  it('gives the cost deltas per member and in total from the two comparisons', () => {
    const k = (member: string, metric: string) =>
      d.costs.find(
        (c) => c.member === member && c.design.split(', ').includes('kfunc') && c.metric === metric,
      );
    const before = v2.comparison.totals.find((t) => t.design === 'kfunc')!;
    const after = upstream.comparison.totals.find((t) => t.design === 'kfunc')!;
    expect(k('total', 'BTF bytes required')).toMatchObject({
      a: before.perSubsystem.btfRequiredBytes,
      b: after.perSubsystem.btfRequiredBytes,
      delta: after.perSubsystem.btfRequiredBytes! - before.perSubsystem.btfRequiredBytes!,
    });
    const jitA = v2.comparison.members[0]!.variants[0]!.jitBytesGenerated!;
    const jitB = upstream.comparison.members.find((m) => m.member === 'test_epilogue')!.variants[0]!
      .jitBytesGenerated!;
    expect(k('test_epilogue', 'JIT bytes (generated code)')?.delta).toBe(jitB - jitA);
    // A member only one side has: its status and size, not every metric going to '—'.
    const added = d.costs.filter((c) => c.member === 'test_prologue').map((c) => c.metric);
    expect(added).toEqual(['status', 'JIT bytes (generated code)']);
  });

  it('finds nothing between a model and itself, and only costs under two profiles', () => {
    const same = diffModels(upstream, side('models/bpf_testmod.yaml'));
    expect([same.changes, same.costs]).toEqual([[], []]);
    const profiles = diffModels(
      side('models/qdisc.yaml', 'v6.18'),
      side('models/qdisc.yaml', 'bpf-next-2026'),
    );
    expect(profiles.changes).toEqual([]);
    expect(
      profiles.costs.find((c) => c.member === 'init' && c.design === 'kfunc' && c.metric === 'status'),
    ).toMatchObject({
      a: 'ok',
      b: 'not-expressible',
    });
  });

  it('renders a table and Markdown within 100 columns', () => {
    expect(formatDiffTable(d)).toContain('removed  kfunc      bpf_kfunc_st_ops_inc100');
    const md = formatDiffMarkdown(d);
    expect(md.split('\n').filter((l) => l.length > 100)).toEqual([]);
    expect(md).toContain('| removed | kfunc | `bpf_kfunc_st_ops_inc100` |');
  });
});
