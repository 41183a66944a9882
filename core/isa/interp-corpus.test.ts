// The interpreter against BPF_PROG_TEST_RUN results of Linux 6.18 (test/fixtures/corpus):
// accepted xdp / sched_cls / socket_filter programs that call nothing and use no maps,
// run on the original instructions with the program context modelled as a virtual
// region whose pointer fields read as the verifier's ctx rewrite makes them read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex, bytesToHex, insnsFromHex } from './encoding';
import { runProgram } from './interp';
import { Memory, REGION_BASE } from './memory';

interface Run {
  data_in: string;
  retval: number;
  data_out: string;
}
interface CorpusCase {
  id: string;
  prog_type: string;
  insns: string;
  kernel: { verdict: string; runs: Run[] };
}

const corpus: CorpusCase[] = readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const ETH_HLEN = 14;

/** Sets up memory for one test run; returns r1 and the packet bytes the run may change. */
function setup(
  type: string,
  data: Uint8Array,
  mem: Memory,
  base?: bigint,
): { ctx: bigint; pkt: Uint8Array; ldAbs?: Uint8Array } {
  if (type === 'socket_filter') {
    // The filter sees the packet from the IPv4 header on, only through ld_abs/ld_ind.
    const pkt = data.slice(ETH_HLEN);
    return { ctx: skb(mem, pkt.length, 0n, 0n), pkt, ldAbs: pkt };
  }
  const pkt = data.slice();
  const start = mem.map('packet', pkt, true, base);
  const end = start + BigInt(pkt.length);
  if (type === 'xdp') {
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    const fields = [start, end, start, 1n, 0n, 0n];
    const ctx = mem.mapVirtual('xdp_md', 24, { load: (off) => fields[off / 4] ?? 0n });
    return { ctx, pkt };
  }
  return { ctx: skb(mem, pkt.length, start, end), pkt };
}

/**
 * struct __sk_buff as the test-run skb fills it (corpus README, "Test runs"): plain
 * fields live in a byte array that writes (mark, priority, cb[], tc_classid…) update;
 * data, data_end and data_meta read as packet pointers.
 */
function skb(mem: Memory, len: number, data: bigint, dataEnd: bigint): bigint {
  const b = new Uint8Array(192);
  const put = (off: number, v: number) => {
    for (let k = 0; k < 4; k++) b[off + k] = (v >>> (8 * k)) & 0xff;
  };
  put(0, len); // len
  put(4, 3); // pkt_type: PACKET_OTHERHOST
  put(16, 8); // protocol: htons(ETH_P_IP)
  put(40, 1); // ifindex
  return mem.mapVirtual('__sk_buff', 192, {
    load: (off, size) => {
      if (size === 4 && (off === 76 || off === 140)) return data;
      if (size === 4 && off === 80) return dataEnd;
      let v = 0n;
      for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[off + k]!);
      return v;
    },
    store: (off, size, v) => {
      // tc_index and tc_classid are u16 in the kernel's skb; a wider write keeps 16 bits.
      const keep = off === 44 || off === 72 ? 2 : size;
      for (let k = 0; k < size; k++) b[off + k] = k < keep ? Number((v >> BigInt(8 * k)) & 0xffn) : 0;
    },
  });
}

describe('interpreter against Linux 6.18 test runs', () => {
  const eligible = corpus.filter((c) => {
    if (c.kernel.verdict !== 'accept' || !c.kernel.runs.length) return false;
    const insns = insnsFromHex(c.insns);
    return !insns.some((i) => i.code === 0x85 || (i.code === 0x18 && (i.src === 5 || i.src === 6)));
  });

  it(`reproduces retval and packet of every run of ${eligible.length} programs`, () => {
    let runs = 0;
    let addressDependent = 0;
    const wrong: string[] = [];
    const run = (c: CorpusCase, r: Run, base?: bigint) => {
      const mem = new Memory();
      const { ctx, pkt, ldAbs } = setup(c.prog_type, bytesFromHex(r.data_in), mem, base);
      const res = runProgram(insnsFromHex(c.insns), { mem, args: [ctx], packet: ldAbs });
      const out =
        c.prog_type === 'socket_filter' ? `${'00'.repeat(ETH_HLEN)}${bytesToHex(pkt)}` : bytesToHex(pkt);
      return { retval: Number(res.r0 & 0xffffffffn), out };
    };
    for (const c of eligible) {
      for (const r of c.kernel.runs) {
        try {
          const a = run(c, r);
          // A result that moves with the packet's address depends on kernel pointers.
          const b = run(c, r, REGION_BASE + 0x12345000n);
          if (a.retval !== b.retval || a.out !== b.out) {
            addressDependent++;
            continue;
          }
          runs++;
          if (a.retval !== r.retval)
            wrong.push(`${c.id} (${c.prog_type}): retval ${a.retval} != ${r.retval}`);
          else if (a.out !== r.data_out) wrong.push(`${c.id} (${c.prog_type}): packet differs`);
        } catch (e) {
          wrong.push(`${c.id} (${c.prog_type}): ${(e as Error).message}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(eligible.length).toBeGreaterThan(150);
    expect(addressDependent).toBeLessThan(10);
    console.log(
      `interp: ${runs} kernel test runs of ${eligible.length} corpus programs reproduced (${addressDependent} address-dependent runs skipped)`,
    );
  });
});
