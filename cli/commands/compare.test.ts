import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare } from './compare';

const root = resolve(__dirname, '../..');
const qdisc = join(root, 'models/qdisc.yaml');

async function call(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await compare.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
}

describe('kmodel compare', () => {
  it('json: subsystem totals under `totals`, each function once, and the provenance', async () => {
    const r = await call([qdisc, '--format', 'json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    const kfunc = c.totals.find((t: { design: string }) => t.design === 'kfunc');
    expect(kfunc.functions).toEqual(['bpf_qdisc_init_prologue', 'bpf_qdisc_reset_destroy_epilogue']);
    expect(kfunc.perKernel.kernelText.items.map((i: { symbol?: string }) => i.symbol)).toContain(
      'add_kfunc_in_insns',
    );
    expect(c.provenance.kernel.btfSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.provenance.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.takeaway.length).toBeGreaterThan(2);
  });

  it('txt: a mail body with the takeaway first and prose within 72 columns', async () => {
    const r = await call([qdisc, '--format', 'txt']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const start = lines.indexOf('Takeaway');
    const end = lines.findIndex((l, i) => i > start && l === '');
    expect(start).toBeGreaterThan(0);
    for (const l of lines.slice(start + 1, end)) expect(l.length).toBeLessThanOrEqual(72);
    expect(r.out).toMatch(/^model sha256: [0-9a-f]{64}$/m);
  });

  it('says the subsystem is absent under a profile older than the model', async () => {
    const r = await call([qdisc, '--profile', 'v6.12']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('profile v6.12: the subsystem first appears in v6.16');
    expect(r.out).not.toContain('Totals');
  });

  it('a model that does not check is bad input: its diagnostics at file:line:col, exit 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kmodel-compare-')), 'broken.yaml');
    writeFileSync(file, 'subsystem: x\nstruct_ops: [\n');
    let err = '';
    const code = await compare.run({ argv: [file], stdout: () => {}, stderr: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/broken\.yaml:\d+:\d+: /);
  });
});
