import { describe, expect, it } from 'vitest';
import { findSecDef } from './section-defs';

const of = (name: string) => {
  const d = findSecDef(name);
  return d && [d.progType, d.expectedAttachType, d.sleepable];
};

describe("libbpf's section names", () => {
  it('maps exact, "+" and "/" names to program type and expected attach type', () => {
    expect(of('socket')).toEqual(['socket_filter', null, false]);
    expect(of('xdp')).toEqual(['xdp', 'xdp', false]);
    expect(of('xdp.frags')).toEqual(['xdp', 'xdp', false]);
    expect(of('tc')).toEqual(['sched_cls', null, false]);
    expect(of('struct_ops')).toEqual(['struct_ops', null, false]);
    expect(of('struct_ops/aimd_init')).toEqual(['struct_ops', null, false]);
    expect(of('struct_ops.s/x')).toEqual(['struct_ops', null, true]);
    expect(of('kprobe/ip_rcv')).toEqual(['kprobe', null, false]);
    expect(of('fentry.s/do_sys_open')).toEqual(['tracing', 'trace_fentry', true]);
    expect(of('cgroup_skb/egress')).toEqual(['cgroup_skb', 'cgroup_inet_egress', false]);
    expect(of('syscall')).toEqual(['syscall', null, true]);
  });

  it('does not match a "+" name with something glued on, nor unknown names', () => {
    expect(of('struct_opsx')).toBeUndefined();
    expect(of('kprobex/ip_rcv')).toBeUndefined();
    expect(of('socket/x')).toBeUndefined();
    expect(of('.text')).toBeUndefined();
  });
});
