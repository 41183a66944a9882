import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { diff } from './diff';

const root = resolve(__dirname, '../..');
const model = (m: string) => join(root, 'models', `${m}.yaml`);

async function call(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await diff.run({ argv, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('kmodel diff', () => {
  it('exits 0 and names what changed between the two bpf_testmod models', async () => {
    const r = await call([model('bpf_testmod_v2_kfunc'), model('bpf_testmod'), '--format', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.changes).toContainEqual({ kind: 'kfunc', name: 'bpf_kfunc_st_ops_inc100', change: 'removed' });
    expect(d.costs.length).toBeGreaterThan(0);
  });

  it('compares one model under two profiles', async () => {
    const r = await call([model('qdisc'), '--profile', 'v6.18,bpf-next-2026']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('(profile v6.18) →');
    expect(r.out).toContain('Changes: none');
  });

  it('rejects bad input with one line (exit 2)', async () => {
    await expect(call([model('qdisc')])).rejects.toThrow(CliError);
    await expect(call([model('qdisc'), 'nope.yaml'])).rejects.toThrow('nope.yaml: no such file');
    await expect(call([model('qdisc'), model('qdisc'), '--format', 'xml'])).rejects.toThrow(
      "--format must be table, json or md, got 'xml'",
    );
    await expect(call([model('qdisc'), '--profile', 'v5.0,v6.18'])).rejects.toThrow('--profile must be');
    await expect(call([model('qdisc'), join(root, 'test/fixtures/model/bad-decl.yaml')])).rejects.toThrow(
      /bad-decl.yaml: the model has 1 error/,
    );
  });
});
