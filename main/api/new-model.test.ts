import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BtfRegistry } from '../../core/btf/registry';
import { checkModel } from '../../core/model/check';
import { loadReferenceVmlinuxBtfSync } from '../host/btf-files';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import { skeletonModel } from './new-model';
import type { ApiEnvelope, ModelDocumentResult, SubsystemGraph, ValidateModelResult } from './types';

const root = findPackageRoot(__dirname);
const dir = mkdtempSync(join(tmpdir(), 'kmodel-new-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const api = inProcessBackend(root, [dir]);

async function ok<T>(method: string, params: unknown): Promise<T> {
  const env = await api.call(method, params);
  if (!env.ok) throw new Error(env.error.message);
  return env.result as T;
}

describe('new-model wizard skeleton', () => {
  for (const [structOps, from] of [
    ['my_ops', 'declared'],
    ['tcp_congestion_ops', 'btf'],
    ['Qdisc_ops', 'btf'],
  ] as const) {
    it(`${structOps} (${from}): checks clean, and its graph has members, a kfunc and its wrapper`, async () => {
      const d = await ok<ModelDocumentResult>('newModel', { subsystem: 'my_sub', structOps, from });
      expect(d.name).toBe('my_sub.yaml');
      expect(d.path).toBeNull();
      expect(d.diagnostics).toEqual([]);
      expect(d.text).toContain(`name: ${structOps}`);
      // Saved where the server may write, it is a model like any other.
      const path = join(dir, `${structOps}.yaml`);
      await ok('saveModel', { path, text: d.text, expectedHash: null });
      const g = await ok<SubsystemGraph>('subsystemGraph', { name: path });
      expect(g.structOps).toBe(structOps);
      const kinds = new Set(g.nodes.map((n) => n.kind));
      for (const k of ['member', 'program', 'kfunc', 'wrapper']) expect(kinds, k).toContain(k);
      expect(g.edges.some((e) => e.kind === 'generated' && e.mechanism === 'wrapper')).toBe(true);
      expect(g.programs.every((p) => p.patched !== null)).toBe(true);
    });
  }

  it('takes the BTF struct’s function pointers as ops with their prototypes', async () => {
    const d = await ok<ModelDocumentResult>('newModel', {
      subsystem: 'cc',
      structOps: 'tcp_congestion_ops',
      from: 'btf',
    });
    expect(d.text).toContain('decl: "void (*cong_avoid)(struct sock *arg0, u32 arg1, u32 arg2)"');
    expect(d.text).toContain('{ name: flags, kind: data }');
  });

  it('every *_ops struct of the reference BTF with function pointers gets a skeleton without errors', () => {
    const btf = loadReferenceVmlinuxBtfSync();
    const reg = new BtfRegistry(btf);
    const names = new Set<string>();
    for (let id = 1; id < btf.typeCount; id++)
      if (btf.kindNameOf(id) === 'STRUCT' && /_ops$/.test(btf.nameOf(id))) names.add(btf.nameOf(id));
    let checked = 0;
    for (const so of names) {
      let text: string;
      try {
        text = skeletonModel({ subsystem: 'x', structOps: so, from: 'btf' }, reg);
      } catch (e) {
        expect((e as Error).message, so).toMatch(/has no function-pointer members/);
        continue;
      }
      const errors = checkModel('x.yaml', text, { btf: reg }).diagnostics.filter(
        (d) => d.severity === 'error',
      );
      expect(
        errors.map((d) => `${d.line}:${d.col} ${d.message}`),
        so,
      ).toEqual([]);
      checked++;
    }
    // Kernel typedefs the prototypes use (ssize_t, loff_t…) are declared in types.
    expect(skeletonModel({ subsystem: 'x', structOps: 'sysfs_ops', from: 'btf' }, reg)).toMatch(
      /^ {2}typedef long int __kernel_long_t;\n {2}typedef __kernel_long_t __kernel_ssize_t;\n {2}typedef __kernel_ssize_t ssize_t;$/m,
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses a BTF struct the reference BTF lacks, and names that are not identifiers', async () => {
    const missing: ApiEnvelope = await api.call('newModel', {
      subsystem: 'x',
      structOps: 'no_such_struct_ops',
      from: 'btf',
    });
    expect(missing).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(!missing.ok && missing.error.message).toMatch(/no_such_struct_ops is not in the reference BTF/);
    const bad: ApiEnvelope = await api.call('newModel', { subsystem: 'a b', structOps: 'x', from: 'btf' });
    expect(!bad.ok && bad.error.message).toMatch(/^newModel: /);
  });

  it('the template still opens without answers', async () => {
    expect((await ok<ModelDocumentResult>('newModel', {})).name).toBe('untitled.yaml');
  });
});

describe('live preview', () => {
  it('validateModelText with graph: the graph of the text as typed, null while it does not parse', async () => {
    const d = await ok<ModelDocumentResult>('newModel', {
      subsystem: 'pv',
      structOps: 'pv_ops',
      from: 'declared',
    });
    const good = await ok<ValidateModelResult>('validateModelText', { text: d.text, graph: true });
    expect(good.graph?.structOps).toBe('pv_ops');
    expect(good.graph?.nodes.filter((n) => n.kind === 'member').map((n) => n.label)).toEqual([
      'run',
      'release',
    ]);
    const broken = await ok<ValidateModelResult>('validateModelText', {
      text: d.text.replace('struct_ops:', 'struct_ops: [').replace('  name: pv_ops', '  name: pv_ops]'),
      graph: true,
    });
    expect(broken.errors).toBeGreaterThan(0);
    expect(broken.graph).toBeNull();
    const plain = await ok<ValidateModelResult>('validateModelText', { text: d.text });
    expect(plain.graph).toBeUndefined();
  });
});
