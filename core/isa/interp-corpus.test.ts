// The interpreter against BPF_PROG_TEST_RUN results of Linux 6.18 (test/fixtures/corpus):
// accepted xdp / sched_cls / socket_filter programs that call nothing and use no maps,
// run on the original instructions with the program context modelled as a virtual
// region whose pointer fields read as the verifier's ctx rewrite makes them read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex, bytesToHex, insnsFromHex } from './encoding';
import type { Insn } from './insn';
import { type Helper, runProgram } from './interp';
import { Memory, REGION_BASE } from './memory';

interface Run {
  data_in: string;
  retval: number;
  data_out: string;
}
interface MapDef {
  type: 'array' | 'hash' | 'prog_array';
  key_size: number;
  value_size: number;
  max_entries: number;
}
interface CorpusCase {
  id: string;
  prog_type: string;
  insns: string;
  maps: MapDef[];
  kernel: { verdict: string; runs: Run[] };
}

const EEXIST = 17n;
const ENOENT = 2n;
const EINVAL = 22n;
const E2BIG = 7n;
const EFAULT = 14n;
const neg = (e: bigint) => BigInt.asUintN(64, -e);
const hexOf = (b: Uint8Array) => bytesToHex(b);

/**
 * Array and hash maps as the kernel keeps them, enough for bpf_map_lookup_elem /
 * update_elem / delete_elem: array values are round_up(value_size, 8) apart in one
 * region; each hash element gets its own value region.
 */
class MapModel {
  readonly addr: bigint;
  private readonly array?: bigint;
  private readonly elems = new Map<string, bigint>();
  constructor(
    readonly def: MapDef,
    private readonly mem: Memory,
    index: number,
  ) {
    this.addr = mem.map(`map${index}`, new Uint8Array(64), false);
    if (def.type === 'array') {
      this.array = mem.map(`map${index}.values`, new Uint8Array(this.elemSize * def.max_entries), true);
    }
  }
  private get elemSize(): number {
    return (this.def.value_size + 7) & ~7;
  }
  lookup(key: Uint8Array): bigint {
    if (this.array !== undefined) {
      const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      return k < this.def.max_entries ? this.array + BigInt(k * this.elemSize) : 0n;
    }
    return this.elems.get(hexOf(key)) ?? 0n;
  }
  update(key: Uint8Array, value: Uint8Array, flags: bigint): bigint {
    if (flags > 2n) return neg(EINVAL);
    if (this.array !== undefined) {
      const at = this.lookup(key);
      if (at === 0n) return neg(E2BIG);
      if (flags === 1n) return neg(EEXIST);
      this.mem.write(at, value);
      return 0n;
    }
    const k = hexOf(key);
    const old = this.elems.get(k);
    if (old !== undefined && flags === 1n) return neg(EEXIST);
    if (old === undefined && flags === 2n) return neg(ENOENT);
    if (old === undefined && this.elems.size >= this.def.max_entries) return neg(E2BIG);
    const at = old ?? this.mem.map(`elem${k}`, new Uint8Array(this.def.value_size), true);
    this.mem.write(at, value);
    this.elems.set(k, at);
    return 0n;
  }
  delete(key: Uint8Array): bigint {
    if (this.array !== undefined) return neg(EINVAL);
    const k = hexOf(key);
    if (!this.elems.has(k)) return neg(ENOENT);
    this.elems.delete(k);
    return 0n;
  }
}

/** Loads one program's maps and the helpers its runs may call. */
function loadMaps(c: CorpusCase, mem: Memory, skbData: () => Uint8Array) {
  const maps = c.maps.map((d, k) => new MapModel(d, mem, k));
  const byAddr = (a: bigint) => {
    const m = maps.find((x) => x.addr === a);
    if (!m) throw new Error('not a map');
    return m;
  };
  const helpers = new Map<number, Helper>([
    [1, ({ args, mem: m }) => byAddr(args[0]).lookup(m.read(args[1], byAddr(args[0]).def.key_size))],
    [
      2,
      ({ args, mem: m }) => {
        const map = byAddr(args[0]);
        return map.update(m.read(args[1], map.def.key_size), m.read(args[2], map.def.value_size), args[3]);
      },
    ],
    [3, ({ args, mem: m }) => byAddr(args[0]).delete(m.read(args[1], byAddr(args[0]).def.key_size))],
    [
      26, // bpf_skb_load_bytes(skb, offset, to, len)
      ({ args, mem: m }) => {
        const data = skbData();
        const off = Number(BigInt.asIntN(32, args[1]));
        const len = Number(args[3] & 0xffffffffn);
        const ok = off >= 0 && off <= 0xffff && off + len <= data.length;
        m.write(args[2], ok ? data.slice(off, off + len) : new Uint8Array(len));
        return ok ? 0n : neg(EFAULT);
      },
    ],
  ]);
  const ldImm64 = (insns: readonly Insn[], i: number): bigint | undefined => {
    const x = insns[i]!;
    if (x.src === 5) return maps[x.imm]!.addr;
    if (x.src === 6) return maps[x.imm]!.lookup(new Uint8Array(4)) + BigInt(insns[i + 1]!.imm);
    return undefined;
  };
  return { helpers, ldImm64 };
}

const corpus: CorpusCase[] = readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const ETH_HLEN = 14;
const PER_RUN = new Set(['packet', 'xdp_md', '__sk_buff']);

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
  const HELPERS = new Set([1, 2, 3, 26]);
  const eligible = corpus.filter((c) => {
    if (c.kernel.verdict !== 'accept' || !c.kernel.runs.length) return false;
    if (c.maps.some((m) => m.type === 'prog_array')) return false;
    return insnsFromHex(c.insns).every((i) => i.code !== 0x85 || (i.src === 0 && HELPERS.has(i.imm)));
  });

  it(`reproduces retval and packet of every run of ${eligible.length} programs`, () => {
    let runs = 0;
    let addressDependent = 0;
    const wrong: string[] = [];
    // One loaded program: its maps persist across its runs, as in the kernel harness.
    const load = (c: CorpusCase, base?: bigint) => {
      const mem = new Memory();
      let data: Uint8Array = new Uint8Array(0);
      const { helpers, ldImm64 } = loadMaps(c, mem, () => data);
      const insns = insnsFromHex(c.insns);
      return (r: Run) => {
        for (const g of [...mem.regions]) if (PER_RUN.has(g.name)) mem.unmap(g.base);
        const { ctx, pkt, ldAbs } = setup(c.prog_type, bytesFromHex(r.data_in), mem, base);
        data = pkt; // what bpf_skb_load_bytes reads: from skb->data on
        const res = runProgram(insns, { mem, args: [ctx], packet: ldAbs, helpers, ldImm64 });
        const out =
          c.prog_type === 'socket_filter' ? `${'00'.repeat(ETH_HLEN)}${bytesToHex(pkt)}` : bytesToHex(pkt);
        return { retval: Number(res.r0 & 0xffffffffn), out };
      };
    };
    for (const c of eligible) {
      const a = load(c);
      // A second load with the packet elsewhere: results that move with it depend on kernel pointers.
      const b = load(c, REGION_BASE + 0x12345000n);
      for (const r of c.kernel.runs) {
        try {
          const x = a(r);
          const y = b(r);
          if (x.retval !== y.retval || x.out !== y.out) {
            addressDependent++;
            continue;
          }
          runs++;
          if (x.retval !== r.retval)
            wrong.push(`${c.id} (${c.prog_type}): retval ${x.retval} != ${r.retval}`);
          else if (x.out !== r.data_out) wrong.push(`${c.id} (${c.prog_type}): packet differs`);
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
