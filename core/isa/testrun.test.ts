import { describe, expect, it } from 'vitest';
import { assemble } from './asm';
import { csumDiff, csumReplace, formatTracePrintk, TestRunProgram, testRunSupported } from './testrun';

const pkt = Uint8Array.from({ length: 60 }, (_, i) => i);
const arr = { type: 'array' as const, keySize: 4, valueSize: 8, maxEntries: 1 };

describe('csumDiff', () => {
  const w = (...b: number[]) => Uint8Array.from(b);
  it('is a one-complement sum: a word replaced by itself changes nothing, sizes must be whole words', () => {
    const x = w(0xde, 0xad, 0xbe, 0xef);
    expect(csumDiff(x, x, 0x1234n)).toBe(0x1234n);
    expect(csumDiff(new Uint8Array(0), w(0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0), 0n)).toBe(1n);
    expect(csumDiff(new Uint8Array(0), w(0, 0, 1, 0), 0xffffn)).toBe(1n);
  });
});

describe('csumReplace (bpf_l3_csum_replace / bpf_l4_csum_replace on a CHECKSUM_NONE skb)', () => {
  // An IPv4 header and its checksum computed from scratch (words as the program loads them: LE).
  const ipSum = (h: Uint8Array): bigint => {
    let s = 0;
    for (let i = 0; i < 20; i += 2) if (i !== 10) s += h[i]! | (h[i + 1]! << 8);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return BigInt(~s & 0xffff);
  };
  const le = (h: Uint8Array, i: number, n: number) => {
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(h[i + k]!);
    return v;
  };
  const hdr = Uint8Array.from([
    0x45, 0, 0, 0x32, 0x12, 0x34, 0x40, 0, 0x40, 6, 0, 0, 0xc0, 0, 2, 1, 0xc6, 0x33, 0x64, 2,
  ]);
  hdr.set([Number(ipSum(hdr) & 0xffn), Number(ipSum(hdr) >> 8n)], 10);

  it.each([
    [false, 4],
    [true, 4],
    [false, 2],
    [true, 2],
  ])('l4=%s, a %d-byte field: the incremental update equals the checksum computed again', (l4, size) => {
    const after = hdr.slice();
    after.set(size === 4 ? [10, 1, 2, 3] : [0x11, 0x22], 16);
    const got = csumReplace(l4, le(hdr, 10, 2), le(hdr, 16, size), le(after, 16, size), size);
    expect(got).toBe(ipSum(after));
  });

  it('size 0 adds a precomputed diff (bpf_csum_diff of the old and new words)', () => {
    const after = hdr.slice();
    after.set([10, 1, 2, 3], 16);
    const diff = csumDiff(hdr.subarray(16, 20), after.subarray(16, 20), 0n);
    expect(csumReplace(true, le(hdr, 10, 2), 0n, diff, 0)).toBe(ipSum(after));
  });

  it('reproduces a kernel run: TCP dport 80 -> 8080 turns checksum 0x7efe into 0x5fbe', () => {
    expect(csumReplace(true, 0xfe7en, 0x5000n, 0x901fn, 2)).toBe(0xbe5fn);
  });
});

describe.each(['compiled', 'stepping'] as const)('BPF_PROG_TEST_RUN model (%s engine)', (engine) => {
  it('maps are zeroed at load and persist across runs of one load', () => {
    const insns = assemble(`*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
if r0 == 0 goto pc+4
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
r0 = r1
exit`);
    expect(testRunSupported('sched_cls', insns, [arr])).toBe(true);
    const p = new TestRunProgram('sched_cls', insns, [arr], undefined, engine);
    expect([p.run(pkt), p.run(pkt), p.run(pkt)].map((r) => r.retval)).toEqual([1, 2, 3]);
    expect(new TestRunProgram('sched_cls', insns, [arr], undefined, engine).run(pkt).retval).toBe(1);
  });

  it('bpf_csum_diff sums the new words minus the old ones, folded to 16 bits; bpf-to-bpf calls run', () => {
    const insns = assemble(`*(u64 *)(r10 -8) = 16909060
r1 = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 8
r5 = 0
call bpf_csum_diff
call pc+1
exit
r0 += 1
exit`);
    expect(testRunSupported('sched_cls', insns, [])).toBe(true);
    // the words 0x01020304 and 0: 0x0102 + 0x0304
    expect(new TestRunProgram('sched_cls', insns, [], undefined, engine).run(pkt).retval).toBe(0x0406 + 1);
  });

  it('sched_cls stores bytes into the packet, pulls data, tail-calls into an empty prog_array', () => {
    const insns = assemble(`r6 = r1
*(u16 *)(r10 -2) = 0x4142
r1 = r6
r2 = 2
r3 = r10
r3 += -2
r4 = 2
r5 = 0
call bpf_skb_store_bytes
r7 = r0
r1 = r6
r2 = 1000
call bpf_skb_pull_data
r7 += r0
r1 = r6
r2 = map[idx:0]
r3 = 0
call bpf_tail_call
r0 = r7
exit`);
    const progs = { type: 'prog_array' as const, keySize: 4, valueSize: 4, maxEntries: 1 };
    expect(testRunSupported('sched_cls', insns, [progs])).toBe(true);
    const r = new TestRunProgram('sched_cls', insns, [progs], undefined, engine).run(pkt);
    expect(r.retval).toBe(-12 >>> 0); // the pull past the end: -ENOMEM; the store: 0
    expect([...r.dataOut.slice(0, 5)]).toEqual([0, 1, 0x42, 0x41, 4]);
  });

  it('syscall reads and writes its ctx_in; reaching past it is refused (EINVAL)', () => {
    const insns = assemble(`r0 = *(u32 *)(r1 +4)
*(u64 *)(r1 +8) = -1
exit`);
    expect(testRunSupported('syscall', insns, [])).toBe(true);
    const p = new TestRunProgram('syscall', insns, [], undefined, engine);
    const r = p.run(pkt.slice(0, 16));
    expect(r.retval).toBe(0x07060504);
    expect([...r.dataOut]).toEqual([...pkt.slice(0, 8), ...new Array(8).fill(0xff)]);
    expect(p.run(pkt.slice(0, 12))).toMatchObject({ retval: 0, errno: 22 });
  });

  it('cgroup_skb reads data..data_end from the IPv4 header on; its socket has uid 0', () => {
    const insns = assemble(`r6 = r1
r2 = *(u32 *)(r6 +76)
r3 = *(u32 *)(r6 +80)
r3 -= r2
r7 = *(u8 *)(r2 +0)
r7 += r3
r1 = r6
call bpf_get_socket_uid
r0 += r7
exit`);
    expect(testRunSupported('cgroup_skb', insns, [])).toBe(true);
    const r = new TestRunProgram('cgroup_skb', insns, [], undefined, engine).run(pkt);
    // data points at packet byte 14; data_end - data = 60 - 14
    expect(r.retval).toBe(14 + 46);
    expect([...r.dataOut.slice(0, 14)]).toEqual(new Array(14).fill(0));
    expect([...r.dataOut.slice(14)]).toEqual([...pkt.slice(14)]);
  });

  it('socket_filter sees the packet after the Ethernet header; data_out zeroes that header', () => {
    // ld_abs offsets count from the IPv4 header: byte 0 is packet byte 14.
    const p = new TestRunProgram(
      'socket_filter',
      assemble('r6 = r1\nr0 = *(u8 *)skb[0]\nexit'),
      [],
      undefined,
      engine,
    );
    const r = p.run(pkt);
    expect(r.retval).toBe(14);
    expect([...r.dataOut.slice(0, 15)]).toEqual([...new Array(14).fill(0), 14]);
    expect(r.dataOut.length).toBe(pkt.length);
  });

  it('xdp reads and writes the packet through data/data_end', () => {
    const p = new TestRunProgram(
      'xdp',
      assemble(`r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 1
if r4 > r3 goto pc+3
r0 = *(u8 *)(r2 +0)
*(u8 *)(r2 +0) = 0xff
exit
r0 = 0
exit`),
      [],
      undefined,
      engine,
    );
    const r = p.run(pkt);
    expect(r.retval).toBe(0);
    expect(r.dataOut[0]).toBe(0xff);
    expect(pkt[0]).toBe(0); // data_in is not modified
  });

  it('xdp: adjust_meta grows metadata before data, adjust_head moves data; data_out starts at data_meta', () => {
    const run = (src: string) => new TestRunProgram('xdp', assemble(src), [], undefined, engine).run(pkt);
    const r = run(`r6 = r1
r2 = -8
call bpf_xdp_adjust_meta
r7 = r0
r2 = *(u32 *)(r6 +8)
*(u32 *)(r2 +0) = 0x11
r1 = r6
r2 = 14
call bpf_xdp_adjust_head
r7 += r0
r2 = *(u32 *)(r6 +8)
r3 = *(u32 *)(r6 +0)
r3 -= r2
r0 = *(u32 *)(r2 +0)
r0 <<= 8
r0 += r3
r0 += r7
exit`);
    // both calls succeed; the 8 metadata bytes moved along with data
    expect(r.retval).toBe(0x1108);
    expect([...r.dataOut]).toEqual([0x11, 0, 0, 0, 0, 0, 0, 0, ...pkt.slice(14)]);
    const errno = (src: string) => run(`r6 = r1\n${src}\nexit`).retval | 0;
    expect(errno('r2 = -3\ncall bpf_xdp_adjust_meta')).toBe(-13); // not whole u32s: EACCES
    expect(errno('r2 = -216\ncall bpf_xdp_adjust_meta')).toBe(0); // down to the xdp_frame's end
    expect(errno('r2 = -220\ncall bpf_xdp_adjust_meta')).toBe(-22);
    expect(errno('r2 = 4\ncall bpf_xdp_adjust_meta')).toBe(-22); // past data
    expect(errno('r2 = -216\ncall bpf_xdp_adjust_head')).toBe(0); // 256 headroom - sizeof(xdp_frame)
    expect(errno('r2 = -217\ncall bpf_xdp_adjust_head')).toBe(-22);
    expect(errno('r2 = 47\ncall bpf_xdp_adjust_head')).toBe(-22); // leaves less than ETH_HLEN
    expect(errno('r2 = 46\ncall bpf_xdp_adjust_head')).toBe(0);
  });

  it('sched_cls: bpf_l4_csum_replace updates the checksum in the packet, with the kernel checks', () => {
    const run = (src: string) =>
      new TestRunProgram('sched_cls', assemble(src), [], undefined, engine).run(pkt);
    const r = run(`r2 = 10
r3 = 0x0b0a
r4 = 0x0b0c
r5 = 2
call bpf_l4_csum_replace
exit`);
    expect(r.retval).toBe(0);
    // one's complement: the sum drops by the 16-bit word's increase (0x0002 in LE order)
    expect([...r.dataOut.slice(10, 12)]).toEqual([10 - 2, 11]);
    expect(run('r2 = 9\nr3 = 0\nr4 = 0\nr5 = 2\ncall bpf_l4_csum_replace\nexit').retval | 0).toBe(-14);
    expect(run('r2 = 60\nr3 = 0\nr4 = 0\nr5 = 2\ncall bpf_l4_csum_replace\nexit').retval | 0).toBe(-14);
    expect(run('r2 = 10\nr3 = 0\nr4 = 0\nr5 = 3\ncall bpf_l4_csum_replace\nexit').retval | 0).toBe(-22);
    expect(run('r2 = 10\nr3 = 1\nr4 = 0\nr5 = 0\ncall bpf_l3_csum_replace\nexit').retval | 0).toBe(-22);
  });

  it('xdp: bpf_xdp_adjust_tail grows (zeroed) up to the page less the shared-info tailroom, shrinks down to ETH_HLEN', () => {
    const run = (src: string) => new TestRunProgram('xdp', assemble(src), [], undefined, engine).run(pkt);
    const grow = run('r2 = 4\ncall bpf_xdp_adjust_tail\nexit');
    expect(grow.retval).toBe(0);
    expect([...grow.dataOut]).toEqual([...pkt, 0, 0, 0, 0]);
    // one page: 256 headroom + 60 bytes + growth up to 4096 - 320
    expect(run(`r2 = ${4096 - 320 - 256 - 60}\ncall bpf_xdp_adjust_tail\nexit`).retval).toBe(0);
    expect(run(`r2 = ${4096 - 320 - 256 - 60 + 1}\ncall bpf_xdp_adjust_tail\nexit`).retval | 0).toBe(-22);
    const shrink = run('r2 = -46\ncall bpf_xdp_adjust_tail\nexit');
    expect(shrink.retval).toBe(0);
    expect([...shrink.dataOut]).toEqual([...pkt.slice(0, 14)]);
    expect(run('r2 = -47\ncall bpf_xdp_adjust_tail\nexit').retval | 0).toBe(-22);
  });

  it('bpf_redirect: tc TC_ACT_REDIRECT (SHOT for a flag besides BPF_F_INGRESS), xdp XDP_REDIRECT (ABORTED for any flag)', () => {
    const run = (t: string, flags: number) =>
      new TestRunProgram(
        t,
        assemble(`r1 = 1\nr2 = ${flags}\ncall bpf_redirect\nexit`),
        [],
        undefined,
        engine,
      ).run(pkt).retval;
    expect([run('sched_cls', 0), run('sched_cls', 1), run('sched_cls', 2)]).toEqual([7, 7, 2]);
    expect([run('xdp', 0), run('xdp', 1)]).toEqual([4, 0]);
  });

  it('bpf_skb_load_bytes_relative reads from the MAC or network header, also for a socket filter', () => {
    const prog = (hdr: number, off: number) =>
      assemble(`r6 = r1
r2 = ${off}
r3 = r10
r3 += -4
r4 = 2
r5 = ${hdr}
call bpf_skb_load_bytes_relative
r0 <<= 16
r1 = *(u16 *)(r10 -4)
r0 |= r1
exit`);
    const run = (t: string, hdr: number, off: number) =>
      new TestRunProgram(t, prog(hdr, off), [], undefined, engine).run(pkt).retval;
    expect(run('socket_filter', 0, 12)).toBe(12 | (13 << 8));
    expect(run('sched_cls', 1, 0)).toBe(14 | (15 << 8));
    expect(run('sched_cls', 1, 45) >>> 16).toBe(0xfff2); // -EFAULT past the tail, buffer zeroed
    expect(run('sched_cls', 2, 0) >>> 16).toBe(0xfff2);
  });

  it('programs calling helpers the model lacks are not supported', () => {
    expect(testRunSupported('sched_cls', assemble('call bpf_ktime_get_ns\nexit'), [])).toBe(false);
    expect(testRunSupported('struct_ops', assemble('r0 = 0\nexit'), [])).toBe(false);
  });

  it('runs the base helpers whose kernel answers depend on the runner with fixed model values', () => {
    const run = (src: string) => new TestRunProgram('socket_filter', assemble(src), []).run(pkt).retval;
    expect(testRunSupported('socket_filter', assemble('call bpf_get_prandom_u32\nexit'), [])).toBe(true);
    // two calls never give the same random value; the boot clock moves forward
    expect(run('call bpf_get_prandom_u32\nr6 = r0\ncall bpf_get_prandom_u32\nr0 -= r6\nexit')).not.toBe(0);
    expect(
      run('call bpf_ktime_get_boot_ns\nr6 = r0\ncall bpf_ktime_get_boot_ns\nr0 -= r6\nexit'),
    ).toBeGreaterThan(0);
    expect(run('call bpf_get_current_pid_tgid\nr0 >>= 32\nexit')).toBeGreaterThan(0);
    // "hi\n" written to the trace buffer: 3 bytes
    const printk =
      'r1 = 0x0a6968\n*(u64 *)(r10 -8) = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall bpf_trace_printk\nexit';
    expect(run(printk)).toBe(3);
  });

  it('formats bpf_trace_printk lines of integer conversions, refuses what it cannot print', () => {
    const f = (s: string) => new TextEncoder().encode(`${s}\0`);
    expect(formatTracePrintk(f('x=%d y=%llx %u%%'), [-5n, 255n, 0xffffffffn])).toBe('x=-5 y=ff 4294967295%');
    expect(formatTracePrintk(f('%s'), [0n])).toBeUndefined();
    expect(formatTracePrintk(new TextEncoder().encode('no nul'), [])).toBeUndefined();
  });
});
