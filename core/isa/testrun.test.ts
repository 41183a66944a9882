import { describe, expect, it } from 'vitest';
import { assemble } from './asm';
import { csumDiff, TestRunProgram, testRunSupported } from './testrun';

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

  it('programs calling helpers the model lacks are not supported', () => {
    expect(testRunSupported('sched_cls', assemble('call bpf_ktime_get_ns\nexit'), [])).toBe(false);
    expect(testRunSupported('struct_ops', assemble('r0 = 0\nexit'), [])).toBe(false);
  });
});
