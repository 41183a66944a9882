import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import { assemble } from '../../isa/asm';
import { BPF_LDX_MEM } from '../../isa/builders';
import { BPF_H, BPF_W } from '../../isa/opcodes';
import { bpfCheck } from '../index';
import { kernelLayout } from './layout';
import { sockCommonIsValidAccess, sockConvertCtxAccess } from './sock';

const root = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const L = kernelLayout(btf);
const off = (f: string) => L.off('bpf_sock', f);

describe('struct bpf_sock through a sock_common pointer', () => {
  it('reads the sock_common fields, not the struct sock ones, never writes', () => {
    expect(sockCommonIsValidAccess(L, off('family'), 4, 'read')).toEqual({
      regType: 'SCALAR_VALUE',
      ctxFieldSize: 4,
    });
    expect(sockCommonIsValidAccess(L, off('dst_port'), 2, 'read')?.ctxFieldSize).toBe(2);
    expect(sockCommonIsValidAccess(L, off('dst_port') + 2, 2, 'read')).toBeUndefined();
    for (const f of ['type', 'protocol', 'mark', 'priority'])
      expect(sockCommonIsValidAccess(L, off(f), 4, 'read')).toBeUndefined();
    expect(sockCommonIsValidAccess(L, off('family'), 4, 'write')).toBeUndefined();
  });

  it('rewrites onto struct sock_common', () => {
    const r = sockConvertCtxAccess(L, BPF_LDX_MEM(BPF_W, 0, 2, off('dst_ip6') + 8));
    expect(r.insns).toEqual([BPF_LDX_MEM(BPF_W, 0, 2, L.off('sock_common', 'skc_v6_daddr') + 8)]);
    expect(sockConvertCtxAccess(L, BPF_LDX_MEM(BPF_W, 0, 2, off('family'))).insns).toEqual([
      BPF_LDX_MEM(BPF_H, 0, 2, L.off('sock_common', 'skc_family')),
    ]);
  });

  it('cgroup_skb reads skb->sk after a NULL check', () => {
    const prog = (read: string) =>
      bpfCheck(
        {
          insns: assemble(`r2 = *(u64 *)(r1 +168)
r0 = 1
if r2 == 0 goto pc+2
${read}
r0 &= 1
exit`),
          progType: 'cgroup_skb',
        },
        { btf },
      );
    const ok = prog('r0 = *(u32 *)(r2 +4)');
    expect(ok.verdict).toBe('accept');
    expect(ok.xlated![3]).toEqual(BPF_LDX_MEM(BPF_H, 0, 2, L.off('sock_common', 'skc_family')));
    expect(prog('r0 = *(u32 *)(r2 +8)').error).toBe('R2 invalid sock_common access off=8 size=4');
    expect(prog('*(u32 *)(r2 +4) = 1\nr0 = 1').error).toBe('R2 cannot write into sock_common');
  });
});
