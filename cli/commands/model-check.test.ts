import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { modelCheck } from './model-check';
import { modelShow } from './model-show';

const root = resolve(__dirname, '../..');
const models = ['qdisc', 'tcp_cc', 'hid_bpf', 'bpf_testmod', 'bpf_testmod_v2_kfunc', 'sched_ext'].map((m) =>
  join(root, 'models', `${m}.yaml`),
);
const fixture = (f: string) => join(root, 'test/fixtures/model', f);

async function call(
  cmd: typeof modelCheck,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cmd.run({ argv, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('kmodel model check', () => {
  it('passes every shipped model', async () => {
    const r = await call(modelCheck, models);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(models.length);
    expect(r.out).toContain('qdisc.yaml: ok: 8 members, 8 kfuncs, 6 generated block variants assembled');
  });

  it("a model whose programs have global functions and a callback: loaded with the object's func_info", async () => {
    const r = await call(modelCheck, [join(root, 'test/fixtures/objects/verifier/cc_funcs.yaml')]);
    expect([r.code, r.err]).toEqual([0, '']);
    // Processed as Linux 6.18 processed them (global functions verified on their own).
    expect(r.out).toContain('processed insns: fn_ssthresh 10, fn_cong_avoid 27, fn_undo_cwnd 10');
  });

  it("checks a model whose instance is a clang object's struct_ops map, the object beside the model", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-object-model-'));
    try {
      writeFileSync(
        join(dir, 'cc_rate.bpf.o'),
        readFileSync(join(root, 'test/fixtures/objects/build/cc_rate.bpf.o')),
      );
      const tcpCc = readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8');
      const file = join(dir, 'rate.yaml');
      writeFileSync(
        file,
        `${tcpCc.slice(0, tcpCc.indexOf('\ninstances:'))}\ninstances:\n  - { object: cc_rate.bpf.o, map: krate }\n`,
      );
      const r = await call(modelCheck, [file]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/rate_cong_control \d+, .*1 instance$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints file:line:col errors and exits 1', async () => {
    const r = await call(modelCheck, [fixture('bad-decl.yaml'), fixture('bad-insn.yaml')]);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe(`${fixture('bad-decl.yaml')}:9:16: unknown type name 'strct'`);
    expect(lines[1]).toMatch(new RegExp(`^${fixture('bad-insn.yaml').replace(/[.]/g, '\\.')}:20:7: `));
  });

  it("exits 1 with the verifier's message at the line of an insn do_check refuses", async () => {
    const text = readFileSync(models[0]!, 'utf8').replace(
      '    member: reset\n    insns: |\n      r0 = 0\n',
      '    member: reset\n    insns: |\n      r0 = 0\n      r0 += r2\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-check-'));
    const f = join(dir, 'qdisc-bad.yaml');
    writeFileSync(f, text);
    try {
      const r = await call(modelCheck, [f]);
      expect(r.code).toBe(1);
      const line = text.split('\n').indexOf('      r0 += r2') + 1;
      expect(r.err).toContain(`${f}:${line}:7: bpf_check: R2 !read_ok\n`);
      expect(r.out).toContain(`${f}: FAILED (`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects bad usage with exit 2', async () => {
    await expect(call(modelCheck, [])).rejects.toThrow(CliError);
    await expect(call(modelCheck, [models[0]!, '--profile', 'v5.0'])).rejects.toThrow('--profile must be');
    await expect(call(modelCheck, ['/nonexistent/model.yaml'])).rejects.toThrow('no such file');
  });
});

describe('kmodel model show', () => {
  it('takes a shipped model by name, as by path', async () => {
    const byName = await call(modelShow, ['qdisc']);
    expect(byName.code).toBe(0);
    expect(byName.out).toBe((await call(modelShow, [models[0]!])).out);
    expect((await call(modelCheck, ['tcp_cc', '--quiet'])).code).toBe(0);
    await expect(call(modelShow, ['qdsic'])).rejects.toThrow(/unknown model 'qdsic'.*qdisc/);
  });

  it('summarizes the qdisc model', async () => {
    const r = await call(modelShow, [models[0]!]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'int (*init)(struct Qdisc *sch, struct nlattr *arg, struct netlink_ext_ack *extack)',
    );
    expect(r.out).toContain('[prologue 8 insns (kfunc)]');
    expect(r.out).toContain('qdisc_kfunc_ids [STRUCT_OPS]: 8 kfuncs, 2 hidden');
    expect(r.out).toContain(
      '  init_member: priv_size zero (-EINVAL); id obj_name (-EINVAL); other data members must be zero (-EINVAL)\n',
    );
    expect(r.out).toMatch(/\n {2}reg: id not already registered \(pfifo_fast, pfifo, .*\) \(-EEXIST\)\n/);
  });

  it('prints JSON with the kfuncs and their BTF ids', async () => {
    const r = await call(modelShow, [models[1]!, '--format', 'json']);
    const s = JSON.parse(r.out);
    expect(s.structFrom).toBe('btf');
    expect(s.kfuncs.map((k: { name: string }) => k.name)).toContain('tcp_reno_ssthresh');
    expect(s.kfuncs.every((k: { btfId: number | null }) => typeof k.btfId === 'number')).toBe(true);
  });
});
