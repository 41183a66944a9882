import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { REFERENCE_STRUCT_OPS } from '../kernel/struct-ops-rules';
import { bpfCheck } from '../verifier/index';
import { loadModel } from './load';
import { modelStructOpsRules, REFERENCE_STRUCT_OPS_MODELS } from './struct-ops-rules';

const modelsDir = join(__dirname, '../../models');
const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const load = (member: string, src: string, sleepable = false) =>
  bpfCheck(
    {
      insns: assemble(src, {
        resolveCall: (name) => {
          const f = btf.findByName(name, 'FUNC');
          return f ? { src: 2, imm: f.id } : undefined;
        },
      }),
      progType: 'struct_ops',
      attach: { struct: 'tcp_congestion_ops', member },
      sleepable,
    },
    { btf },
  );

describe('reference struct_ops rules', () => {
  it('are the shipped models compiled (regenerate: npx tsx scripts/gen-struct-ops-rules.ts)', () => {
    const fromModels = REFERENCE_STRUCT_OPS_MODELS.map((f) => {
      const l = loadModel(f, readFileSync(join(modelsDir, f), 'utf8'));
      return modelStructOpsRules(l.model!);
    });
    expect(REFERENCE_STRUCT_OPS).toEqual(fromModels);
  });
});

describe('tcp_congestion_ops loads judged by models/tcp_cc.yaml', () => {
  it('check_member refuses an unsupported member with -ENOTSUPP', () => {
    const r = load('get_info', 'r0 = 0\nexit');
    expect([r.verdict, r.errno, r.error]).toEqual([
      'reject',
      524,
      'attach to unsupported member get_info of struct tcp_congestion_ops',
    ]);
    expect(load('ssthresh', 'r0 = 0\nexit').verdict).toBe('accept');
  });

  it('accepts a void kfunc called from a bpf-to-bpf subprogram of cong_avoid (R0 is not read at its exit)', () => {
    const prog = [
      'r6 = *(u64 *)(r1 +0)',
      'r2 = *(u64 *)(r1 +16)',
      'r1 = r6',
      'call pc+1',
      'exit',
      'r3 = r2',
      'r2 = 2',
      'call tcp_cong_avoid_ai',
      'exit',
    ].join('\n');
    expect(load('cong_avoid', prog).verdict).toBe('accept');
    // A subprogram whose R0 the caller then returns from a u32 member still needs it set.
    const sub = [
      'r1 = *(u64 *)(r1 +0)',
      'call pc+1',
      'exit',
      'r2 = 2',
      'r3 = 1',
      'call tcp_cong_avoid_ai',
      'exit',
    ];
    const r = load('ssthresh', sub.join('\n'));
    expect([r.verdict, r.error]).toEqual(['reject', 'R0 !read_ok']);
  });

  it('writes only the listed tcp_sock fields, each from its start', () => {
    const write = (off: number, size = 4) =>
      load('init', `r1 = *(u64 *)(r1 +0)\nr2 = 1\n*(u${size * 8} *)(r1 +${off}) = r2\nexit`);
    const t = btf.vmlinux.btf;
    const tcpSock = t.findByName('tcp_sock', 'STRUCT')!;
    const sndCwnd = t.type(tcpSock);
    const off =
      sndCwnd.kind === 'STRUCT' ? sndCwnd.members.find((m) => m.name === 'snd_cwnd')!.bitOffset / 8 : 0;
    expect(write(off).verdict).toBe('accept');
    expect(write(off + 1, 1).error).toBe(`no write support to tcp_sock at off ${off + 1}`);
    expect(write(off, 8).error).toBe(
      `write access at off ${off} with size 8 beyond the member of tcp_sock ended at ${off + 4}`,
    );
  });

  it('does not refuse a sleepable program (bpf_tcp_ca_check_member ignores it)', () => {
    expect(load('ssthresh', 'r0 = 0\nexit', true).verdict).toBe('accept');
  });
});
