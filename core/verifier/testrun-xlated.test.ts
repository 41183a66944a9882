// Test runs of kmodel's own xlated program (ctx conversions onto struct sk_buff / xdp_buff,
// inlined map lookups, direct map-op calls, ld_abs helpers, the tc unclone prologue) against
// the same run of the loaded program: one kernel model, two entry points, the same results.
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bytesToHex, insnsToHex } from '../isa/encoding';
import { testRunSupported } from '../isa/testrun';
import { type CorpusCase, caseToLoadAttr, testRunCase, xlatedKernel } from './corpus';
import { bpfCheck } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
// Ethernet + IPv4 + TCP, as the corpus's first packet
const pkt =
  '0200000000020200000000010800450000321234400040063c5bc0000201c63364023039005000000001000000005002ffff7efe000000010203040506070809';

function bothRuns(progType: CorpusCase['prog_type'], src: string, maps: CorpusCase['maps'] = [], n = 2) {
  const c: CorpusCase = {
    id: 'x',
    prog_type: progType,
    attach: null,
    maps,
    insns: insnsToHex(assemble(src)),
    kernel: {
      verdict: 'accept',
      errno: 0,
      log: '',
      processed_insns: null,
      xlated: null,
      xlated_calls: null,
      runs: Array.from({ length: n }, () => ({ retval: 0, data_in: pkt })),
    },
  };
  const env = { btf };
  const vr = bpfCheck(caseToLoadAttr(c), env);
  expect(vr.error).toBeNull();
  const xlated = testRunCase(c, { vr, env });
  const loaded = testRunCase(c);
  expect(xlated?.on).toBe('xlated');
  expect(loaded?.on).toBe('loaded');
  expect(xlated?.runs).toEqual(loaded?.runs);
  return { runs: xlated!.runs, xlatedInsns: vr.fixups!.insns.length, loadedInsns: assemble(src).length };
}

const arr = { type: 'array' as const, key_size: 4, value_size: 8, max_entries: 2 };
const hash = { type: 'hash' as const, key_size: 4, value_size: 8, max_entries: 4 };

describe('test runs of the xlated program', () => {
  it('sched_cls: converted ctx fields (narrow tc_classid, pkt_type bitfield, ifindex through skb->dev) and the unclone prologue', () => {
    const { runs, xlatedInsns, loadedInsns } = bothRuns(
      'sched_cls',
      `r6 = r1
r2 = *(u32 *)(r6 +76)
r3 = *(u32 *)(r6 +80)
r4 = r2
r4 += 14
if r4 > r3 goto pc+18
*(u8 *)(r2 +0) = 0x42
r2 = *(u32 *)(r6 +0)
*(u32 *)(r6 +8) = r2
r3 = 65541
*(u32 *)(r6 +72) = r3
r7 = *(u32 *)(r6 +72)
r8 = *(u32 *)(r6 +8)
r7 += r8
r8 = *(u32 *)(r6 +40)
r7 += r8
r8 = *(u32 *)(r6 +16)
r7 += r8
r8 = *(u8 *)(r6 +4)
r7 += r8
r8 = *(u16 *)(r6 +4)
r7 += r8
r0 = r7
exit
r0 = 0
exit`,
    );
    expect(xlatedInsns).toBeGreaterThan(loadedInsns); // the prologue and the conversions ran
    // len 64 + tc_classid 5 (u16 in the skb) + ifindex 1 + protocol 8 + pkt_type 3 twice
    expect(runs[0]!.retval).toBe(64 + 5 + 1 + 8 + 3 + 3);
    expect(runs[0]!.data_out).toBe(`42${pkt.slice(2)}`);
  });

  it('inlined array lookups and hash lookups (__htab_map_lookup_elem + the value offset) keep their maps across runs', () => {
    const { runs } = bothRuns(
      'xdp',
      `*(u32 *)(r10 -4) = 1
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
if r0 == 0 goto pc+18
r1 = *(u64 *)(r0 +0)
r1 += 3
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -16) = r1
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = 0
r1 = map[idx:1]
call bpf_map_update_elem
r2 = r10
r2 += -4
r1 = map[idx:1]
call bpf_map_lookup_elem
if r0 != 0 goto pc+2
r0 = 0
exit
r0 = *(u64 *)(r0 +0)
exit`,
      [arr, hash],
      3,
    );
    expect(runs.map((r) => r.retval)).toEqual([3, 6, 9]);
  });

  it('xdp: ingress_ifindex and rx_queue_index through xdp_buff->rxq; bpf_xdp_adjust_head by call imm', () => {
    const { runs } = bothRuns(
      'xdp',
      `r6 = r1
r7 = *(u32 *)(r6 +12)
r8 = *(u32 *)(r6 +16)
r7 += r8
r1 = r6
r2 = 14
call bpf_xdp_adjust_head
r7 += r0
r0 = r7
exit`,
    );
    expect(runs[0]!.retval).toBe(1);
    expect(runs[0]!.data_out).toBe(pkt.slice(28));
  });

  it('xdp: bpf_xdp_adjust_tail and bpf_redirect (bpf_xdp_redirect in xdp) by call imm', () => {
    const { runs } = bothRuns(
      'xdp',
      `r1 = r1
r2 = 4
call bpf_xdp_adjust_tail
r1 = 1
r2 = 0
call bpf_redirect
exit`,
    );
    expect(runs[0]).toEqual({ retval: 4, data_out: `${pkt}00000000` });
  });

  it('socket_filter: ld_abs becomes a call to bpf_skb_load_helper_*_no_cache; data_out zeroes the Ethernet header', () => {
    const { runs } = bothRuns(
      'socket_filter',
      `r6 = r1
r0 = *(u16 *)skb[2]
r7 = r0
r0 = *(u32 *)skb[200]
exit`,
    );
    expect(runs[0]!.retval).toBe(0); // past the end: the program ends with 0
    expect(runs[0]!.data_out).toBe(bytesToHex(new Uint8Array(14)) + pkt.slice(28));
  });
});

describe('one kernel model behind both views', () => {
  it('every ctx field a program may read (and bpf_sock through skb->sk) reads the same converted as through the UAPI view', () => {
    let compared = 0;
    const sweep = (
      progType: CorpusCase['prog_type'],
      prog: (off: number, size: string) => string,
      end: number,
    ) => {
      for (let off = 0; off < end; off += 4)
        for (const size of ['u64', 'u32', 'u16', 'u8']) {
          const c: CorpusCase = {
            id: 'x',
            prog_type: progType,
            attach: null,
            maps: [],
            insns: insnsToHex(assemble(prog(off, size))),
            kernel: {
              verdict: 'accept',
              errno: 0,
              log: '',
              processed_insns: null,
              xlated: null,
              xlated_calls: null,
              runs: [{ retval: 0, data_in: pkt }],
            },
          };
          const vr = bpfCheck(caseToLoadAttr(c), { btf });
          if (vr.verdict !== 'accept') continue;
          const x = testRunCase(c, { vr, env: { btf } })!;
          const l = testRunCase(c)!;
          expect(x.on).toBe('xlated');
          // data/data_end/data_meta are pointers: the same in both, the packet sits elsewhere
          if (x.runs[0]!.retval !== l.runs[0]!.retval && x.runs[0]!.retval >>> 0 > 0xffff) continue;
          expect([progType, off, size, x.runs]).toEqual([progType, off, size, l.runs]);
          compared++;
        }
    };
    const field = (off: number, size: string) => `r0 = *(${size} *)(r1 +${off})\nexit`;
    for (const t of ['sched_cls', 'socket_filter', 'cgroup_skb'] as const) sweep(t, field, 192);
    sweep('xdp', field, 24);
    sweep(
      'sched_cls',
      (off, size) =>
        `r1 = *(u64 *)(r1 +168)\nr0 = 0\nif r1 == 0 goto pc+1\nr0 = *(${size} *)(r1 +${off})\nexit`,
      80,
    );
    expect(compared).toBeGreaterThan(150);
  });

  it('an inlined bpf_get_smp_processor_id (a per-CPU address) is not run: the model has no per-CPU memory', () => {
    // Found by the fuzzer: the xlated form read &cpu_number with no region behind it (no verifier fault).
    const env = { btf };
    const vr = bpfCheck(
      { insns: assemble('call bpf_get_smp_processor_id\nr0 = 0\nexit'), progType: 'xdp', logLevel: 0 },
      env,
    );
    expect(vr.verdict).toBe('accept');
    const fx = vr.fixups!.insns;
    expect(fx.some((x) => x.code === 0xbf && x.off === -1)).toBe(true);
    expect(testRunSupported('xdp', fx, [], xlatedKernel(env))).toBe(false);
  });
});
