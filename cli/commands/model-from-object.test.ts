import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCount } from '../../core/model/check';
import { modelFromObject } from './model-from-object';
import { checkModelFile } from './model-load';

const fixture = (rel: string) => join(__dirname, '../../test/fixtures/objects', rel);

async function run(argv: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  expect(await modelFromObject.run({ argv, stdout: (t) => (out += t), stderr: (t) => (err += t) })).toBe(0);
  return { out, err };
}

describe('kmodel model from-object', () => {
  it('writes the tcp_cc model with a tcp-cc object’s programs, which model check accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-from-object-'));
    const file = join(dir, 'aimd.yaml');
    const r = await run([fixture('build/cc_aimd.bpf.o'), '--out', file]);
    expect(r.err).toContain("shipped model 'tcp_cc'");
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('- name: aimd_cong_avoid\n    member: cong_avoid\n');
    expect(text).toContain('      call tcp_slow_start\n');
    const check = checkModelFile(file);
    expect(errorCount(check)).toBe(0);
    expect(check.programs.map((p) => [p.name, p.verified])).toEqual([
      ['aimd_ssthresh', 'ok'],
      ['aimd_cong_avoid', 'ok'],
      ['aimd_undo_cwnd', 'ok'],
      ['aimd_init', 'ok'],
    ]);
  });

  it('writes a skeleton from the BTF for --skeleton: members with decls, the kfunc set, the programs', async () => {
    const { out } = await run([fixture('own/build/cc_link.bpf.o'), '--skeleton']);
    expect(out).toContain('subsystem: tcp_congestion_ops\n');
    expect(out).toContain('- { name: ssthresh, decl: "u32 (*ssthresh)(struct sock *)" }');
    expect(out).toContain('- { name: name, kind: data }');
    expect(out).toContain('- { decl: "u32 tcp_reno_ssthresh(struct sock *sk)" }');
    expect(out).toMatch(
      /- name: link_undo_cwnd\n {4}member: undo_cwnd\n {4}insns: \|\n {6}r1 = \*\(u64 \*\)\(r1 \+0\)\n {6}call tcp_reno_undo_cwnd\n/,
    );
  });

  it('says in one line when the object has no struct_ops map', async () => {
    await expect(
      modelFromObject.run({
        argv: [fixture('build/xdp_dispatch.bpf.o')],
        stdout: () => {},
        stderr: () => {},
      }),
    ).rejects.toThrow(/xdp_dispatch\.bpf\.o: the object has no struct_ops map/);
  });
});
