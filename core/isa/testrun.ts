// BPF_PROG_TEST_RUN as Linux 6.18 runs xdp / sched_cls / socket_filter programs
// (net/bpf/test_run.c, corpus README "Test runs"): one load keeps its maps (zeroed or
// empty at load) across runs; each run gets a fresh packet and context. The context is
// a virtual region whose pointer fields read as the verifier's ctx rewrite makes them
// read, so the program runs on its original (pre-fixup) instructions.
import { bytesToHex } from './encoding';
import type { Insn } from './insn';
import { type Helper, type RunOptions, runProgram } from './interp';
import { Memory } from './memory';

export interface TestRunMapDef {
  type: 'array' | 'hash' | 'prog_array';
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface TestRunResult {
  retval: number;
  /** Packet after the run as data_out reports it (socket_filter: Ethernet header zeroed; syscall: ctx_out). */
  dataOut: Uint8Array;
  /** The run was refused (syscall: the program reaches past ctx_in, EINVAL). */
  errno?: number;
}

const EEXIST = 17n;
const ENOENT = 2n;
const EINVAL = 22n;
const E2BIG = 7n;
const EFAULT = 14n;
const ENOMEM = 12n;
const neg = (e: bigint) => BigInt.asUintN(64, -e);

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
    readonly def: TestRunMapDef,
    private readonly mem: Memory,
    index: number,
  ) {
    this.addr = mem.map(`map${index}`, new Uint8Array(64), false);
    if (def.type === 'array') {
      this.array = mem.map(`map${index}.values`, new Uint8Array(this.elemSize * def.maxEntries), true);
    }
  }
  private get elemSize(): number {
    return (this.def.valueSize + 7) & ~7;
  }
  lookup(key: Uint8Array): bigint {
    if (this.array !== undefined) {
      const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      return k < this.def.maxEntries ? this.array + BigInt(k * this.elemSize) : 0n;
    }
    return this.elems.get(bytesToHex(key)) ?? 0n;
  }
  update(key: Uint8Array, value: Uint8Array, flags: bigint): bigint {
    if (flags > 2n) return neg(EINVAL);
    if (this.array !== undefined) {
      const at = this.lookup(key);
      if (at === 0n) return neg(E2BIG);
      if (flags === 1n) return neg(EEXIST); // BPF_NOEXIST: array elements always exist
      this.mem.write(at, value);
      return 0n;
    }
    const k = bytesToHex(key);
    const old = this.elems.get(k);
    if (old !== undefined && flags === 1n) return neg(EEXIST);
    if (old === undefined && flags === 2n) return neg(ENOENT);
    if (old === undefined && this.elems.size >= this.def.maxEntries) return neg(E2BIG);
    const at = old ?? this.mem.map(`elem${k}`, new Uint8Array(this.def.valueSize), true);
    this.mem.write(at, value);
    this.elems.set(k, at);
    return 0n;
  }
  delete(key: Uint8Array): bigint {
    if (this.array !== undefined) return neg(EINVAL);
    const k = bytesToHex(key);
    if (!this.elems.has(k)) return neg(ENOENT);
    this.elems.delete(k);
    return 0n;
  }
}

/**
 * bpf_csum_diff: csum_partial over ~from then to, starting from seed (the one's-complement
 * sum of the native little-endian 32-bit words), folded to 16 bits.
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed: bigint): bigint {
  const word = (b: Uint8Array, i: number) =>
    BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
  let sum = seed;
  for (let i = 0; i < from.length; i += 4) sum += ~word(from, i) & 0xffffffffn;
  for (let i = 0; i < to.length; i += 4) sum += word(to, i);
  while (sum > 0xffffffffn) sum = (sum & 0xffffffffn) + (sum >> 32n);
  // 6.18 folds the 32-bit sum to 16 bits (csum_from32to16) so every arch returns the same.
  sum = (sum & 0xffffn) + (sum >> 16n);
  return (sum & 0xffffn) + (sum >> 16n);
}

/**
 * Helper ids the model runs: map lookup/update/delete, bpf_tail_call (into the loader's empty
 * prog_array), bpf_skb_store_bytes/load_bytes/pull_data, bpf_csum_diff, bpf_get_socket_uid.
 */
export const TEST_RUN_HELPERS: ReadonlySet<number> = new Set([1, 2, 3, 9, 12, 26, 28, 39, 47]);
export const TEST_RUN_PROG_TYPES: ReadonlySet<string> = new Set([
  'xdp',
  'sched_cls',
  'socket_filter',
  'cgroup_skb',
  'syscall',
]);

/**
 * Whether the model can test-run the program: a modelled type and modelled helpers only.
 * Every map type is modelled now (a prog_array starts empty), so `_maps` no longer decides.
 */
export function testRunSupported(
  progType: string,
  insns: readonly Insn[],
  _maps: readonly TestRunMapDef[],
): boolean {
  if (!TEST_RUN_PROG_TYPES.has(progType)) return false;
  // bpf-to-bpf calls (src 1) run in both engines; helpers must be modelled.
  return insns.every((i) => i.code !== 0x85 || i.src === 1 || (i.src === 0 && TEST_RUN_HELPERS.has(i.imm)));
}

const ETH_HLEN = 14;
/** A syscall program's ctx: the user's ctx_in, copied back as ctx_out. */
const SYSCALL_CTX = 'syscall_ctx';
const PER_RUN = new Set(['packet', 'xdp_md', '__sk_buff', 'bpf_sock', SYSCALL_CTX]);

/**
 * struct __sk_buff as the test-run skb fills it: plain fields live in a byte array that
 * writes (mark, priority, cb[], tc_classid…) update; data, data_end and data_meta read as
 * packet pointers.
 */
/**
 * The socket bpf_prog_test_run_skb gives an IPv4 packet's skb, as struct bpf_sock reads it:
 * family AF_INET, the addresses from the IPv4 header, everything else 0.
 */
function testRunSock(mem: Memory, ip: Uint8Array): bigint {
  const b = new Uint8Array(80);
  b[4] = 2; // family: AF_INET
  if (ip.length >= 20) {
    b.set(ip.subarray(12, 16), 24); // src_ip4 = sk_rcv_saddr = saddr
    b.set(ip.subarray(16, 20), 52); // dst_ip4 = sk_daddr = daddr
  }
  return mem.map('bpf_sock', b, false);
}

function skb(mem: Memory, len: number, data: bigint, dataEnd: bigint, sk = 0n): bigint {
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
      if (size === 8 && off === 168) return sk;
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

/** A syscall program reached past the ctx_in it was given (max_ctx_offset > ctx_size_in). */
class CtxBeyondInput extends Error {}

/** Memory for one run: r1 and the packet bytes the run may change. */
function setup(
  type: string,
  data: Uint8Array,
  mem: Memory,
  base?: bigint,
): { ctx: bigint; pkt: Uint8Array; ldAbs?: Uint8Array } {
  if (type === 'syscall') {
    // The verifier allows offsets below U16_MAX; past ctx_in the kernel would not have run.
    const b = data.slice();
    const inside = (off: number, size: number) => {
      if (off + size > b.length) throw new CtxBeyondInput();
    };
    const ctx = mem.mapVirtual(SYSCALL_CTX, 0xffff, {
      load: (off, size) => {
        inside(off, size);
        let v = 0n;
        for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[off + k]!);
        return v;
      },
      store: (off, size, v) => {
        inside(off, size);
        for (let k = 0; k < size; k++) b[off + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      },
    });
    return { ctx, pkt: b };
  }
  if (type === 'socket_filter') {
    // eth_type_trans pulled the Ethernet header: the filter sees the packet from the IPv4
    // header on, only through ld_abs/ld_ind and bpf_skb_load_bytes.
    const pkt = data.slice(ETH_HLEN);
    return { ctx: skb(mem, pkt.length, 0n, 0n, testRunSock(mem, pkt)), pkt, ldAbs: pkt };
  }
  // cgroup_skb runs like a socket filter (from the IPv4 header on) but reads data/data_end.
  const pkt = type === 'cgroup_skb' ? data.slice(ETH_HLEN) : data.slice();
  const start = mem.map('packet', pkt, true, base);
  const end = start + BigInt(pkt.length);
  if (type === 'xdp') {
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    const fields = [start, end, start, 1n, 0n, 0n];
    const ctx = mem.mapVirtual('xdp_md', 24, { load: (off) => fields[off / 4] ?? 0n });
    return { ctx, pkt };
  }
  const ip = type === 'cgroup_skb' ? pkt : pkt.subarray(ETH_HLEN);
  return { ctx: skb(mem, pkt.length, start, end, testRunSock(mem, ip)), pkt };
}

/**
 * One loaded program (bpf_prog_test_run_opts on one fd): `run` executes it on a packet;
 * maps persist across runs. `packetBase` places the packet (to spot results that depend
 * on kernel addresses). Throws InterpError / MemoryFault when the program faults.
 */
export class TestRunProgram {
  private readonly mem = new Memory();
  private data: Uint8Array = new Uint8Array(0);
  private readonly helpers: Map<number, Helper>;
  private readonly ldImm64: (insns: readonly Insn[], i: number) => bigint | undefined;

  constructor(
    readonly progType: string,
    readonly insns: readonly Insn[],
    maps: readonly TestRunMapDef[],
    private readonly packetBase?: bigint,
    /** Which interpreter engine runs it (runProgram's default when unset). */
    private readonly engine?: RunOptions['engine'],
  ) {
    const ms = maps.map((d, k) => new MapModel(d, this.mem, k));
    const byAddr = (a: bigint) => {
      const m = ms.find((x) => x.addr === a);
      if (!m) throw new Error('not a map');
      return m;
    };
    this.helpers = new Map<number, Helper>([
      [1, ({ args, mem: m }) => byAddr(args[0]).lookup(m.read(args[1], byAddr(args[0]).def.keySize))],
      [
        2,
        ({ args, mem: m }) => {
          const map = byAddr(args[0]);
          return map.update(m.read(args[1], map.def.keySize), m.read(args[2], map.def.valueSize), args[3]);
        },
      ],
      [3, ({ args, mem: m }) => byAddr(args[0]).delete(m.read(args[1], byAddr(args[0]).def.keySize))],
      [
        26, // bpf_skb_load_bytes(skb, offset, to, len): from skb->data on; the buffer is zeroed on error
        ({ args, mem: m }) => {
          const data = this.data;
          const off = Number(BigInt.asIntN(32, args[1]));
          const len = Number(args[3] & 0xffffffffn);
          const ok = off >= 0 && off <= 0xffff && off + len <= data.length;
          m.write(args[2], ok ? data.slice(off, off + len) : new Uint8Array(len));
          return ok ? 0n : neg(EFAULT);
        },
      ],
      // bpf_tail_call: the corpus loader leaves every prog_array empty, so the call falls
      // through to the next insn (r0..r5 are dead after it for the verifier).
      [12, () => 0n],
      [
        9, // bpf_skb_store_bytes(skb, offset, from, len, flags): into the packet from skb->data on
        ({ args, mem: m }) => {
          if (args[4] & ~3n) return neg(EINVAL); // BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH
          const off = Number(args[1] & 0xffffffffn);
          const len = Number(args[3] & 0xffffffffn);
          if (off > 0x7fffffff) return neg(EFAULT);
          // skb_ensure_writable: pskb_may_pull fails past the packet's end
          if (off + len > this.data.length) return neg(ENOMEM);
          this.data.set(m.read(args[2], len), off);
          return 0n;
        },
      ],
      // bpf_skb_pull_data(skb, len): the test run's skb is linear; pulling past its end fails.
      [39, ({ args }) => ((args[1] & 0xffffffffn) > BigInt(this.data.length) ? neg(ENOMEM) : 0n)],
      // The test run's skb owns a socket made by sock_init_data without a file: uid 0.
      [47, () => 0n],
      [
        28, // bpf_csum_diff(from, from_size, to, to_size, seed)
        ({ args, mem: m }) => {
          const fromSize = Number(args[1] & 0xffffffffn);
          const toSize = Number(args[3] & 0xffffffffn);
          if ((fromSize | toSize) & 3) return neg(EINVAL);
          const from = fromSize ? m.read(args[0], fromSize) : new Uint8Array(0);
          const to = toSize ? m.read(args[2], toSize) : new Uint8Array(0);
          return csumDiff(from, to, args[4] & 0xffffffffn);
        },
      ],
    ]);
    this.ldImm64 = (insns, i) => {
      const x = insns[i]!;
      if (x.src === 5) return ms[x.imm]!.addr; // BPF_PSEUDO_MAP_IDX
      if (x.src === 6) return ms[x.imm]!.lookup(new Uint8Array(4)) + BigInt(insns[i + 1]!.imm);
      return undefined;
    };
  }

  run(dataIn: Uint8Array): TestRunResult {
    for (const g of [...this.mem.regions]) if (PER_RUN.has(g.name)) this.mem.unmap(g.base);
    const { ctx, pkt, ldAbs } = setup(this.progType, dataIn, this.mem, this.packetBase);
    this.data = pkt;
    let res: ReturnType<typeof runProgram>;
    try {
      res = runProgram(this.insns, {
        mem: this.mem,
        args: [ctx],
        ...(ldAbs ? { packet: ldAbs } : {}),
        helpers: this.helpers,
        ldImm64: this.ldImm64,
        ...(this.engine ? { engine: this.engine } : {}),
      });
    } catch (e) {
      // bpf_prog_test_run_syscall refuses a ctx_in shorter than the furthest ctx access the
      // verifier saw (max_ctx_offset) before running: the model finds it when the access faults.
      if (e instanceof CtxBeyondInput)
        return { retval: 0, dataOut: new Uint8Array(0), errno: Number(EINVAL) };
      throw e;
    }
    let dataOut = pkt;
    if (this.progType === 'socket_filter' || this.progType === 'cgroup_skb') {
      // data_out starts at the MAC header, which the skb no longer holds: 14 zero bytes.
      dataOut = new Uint8Array(ETH_HLEN + pkt.length);
      dataOut.set(pkt, ETH_HLEN);
    }
    return { retval: Number(res.r0 & 0xffffffffn), dataOut };
  }
}
