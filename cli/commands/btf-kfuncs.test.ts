import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { btfKfuncs } from './btf-kfuncs';

const root = resolve(__dirname, '../..');
const vmlinuxBtf = (() => {
  const p = join(mkdtempSync(join(tmpdir(), 'kmodel-kfuncs-')), 'vmlinux.btf');
  writeFileSync(p, gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
  return p;
})();

async function run(argv: string[]): Promise<string> {
  const out: string[] = [];
  await btfKfuncs.run({ argv, stdout: (t) => out.push(t), stderr: () => {} });
  return out.join('');
}

describe('kmodel btf kfuncs', () => {
  it('lists the tcp congestion control kfuncs for struct_ops with their protos', async () => {
    const out = await run(['--set', 'struct_ops', '--file', vmlinuxBtf]);
    const line = out.split('\n').find((l) => l.includes('\ttcp_cong_avoid_ai\t'));
    expect(line).toBe('114144\ttcp_cong_avoid_ai\tstruct_ops\t0\tvoid (struct tcp_sock *, u32, u32)');
    expect(out).toContain('\tbpf_cast_to_kern_ctx\tcommon\tKF_FASTCALL\t');
    expect(out).not.toContain('bpf_dynptr_from_xdp');
  });

  it('lists every tagged kfunc without --set, and tc kfuncs by program type', async () => {
    const all = (await run(['--file', vmlinuxBtf])).trim().split('\n');
    expect(all.length).toBe(203);
    const tc = await run(['--set', 'sched_cls', '--file', vmlinuxBtf]);
    expect(tc).toContain('\tbpf_dynptr_from_skb\t');
    expect(tc).not.toContain('\ttcp_reno_ssthresh\t');
    await expect(run(['--set', 'nope', '--file', vmlinuxBtf])).rejects.toThrow(/unknown --set/);
  });

  it('shows every tagged kfunc with a hook, and where a set filter narrows it', async () => {
    const all = (await run(['--file', vmlinuxBtf])).trim().split('\n');
    expect(all.filter((l) => l.split('\t')[2] === '-')).toEqual([]);
    const byName = new Map(all.map((l) => [l.split('\t')[1], l.split('\t')]));
    expect(byName.get('bpf_get_file_xattr')?.slice(2, 4)).toEqual([
      'tracing (lsm only)',
      'KF_TRUSTED_ARGS | KF_SLEEPABLE',
    ]);
    expect(byName.get('bpf_cpumask_create')?.[2]).toBe('struct_ops,tracing,syscall');
    expect(byName.get('bpf_fentry_test1')?.slice(2, 4)).toEqual(['fmodret', 'KF_SLEEPABLE']);
  });
});
