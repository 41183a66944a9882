import { describe, expect, it } from 'vitest';
import { helperId } from '../../isa/helper-names';
import {
  bpfBaseFuncProto,
  kprobeFuncProto,
  skFilterFuncProto,
  syscallFuncProto,
  tcClsActFuncProto,
  xdpFuncProto,
} from './func-protos';

const id = (n: string) => helperId(n)!;

// What Linux 6.18 answered for the selftest-rules kf-proto-* programs (one helper call each).
describe('get_func_proto (6.18, privileged loads)', () => {
  it('every type has the current task helpers of bpf_base_func_proto', () => {
    for (const fn of [bpfBaseFuncProto, skFilterFuncProto, xdpFuncProto, kprobeFuncProto, syscallFuncProto])
      for (const n of [
        'get_current_uid_gid',
        'get_current_task',
        'get_current_task_btf',
        'get_current_cgroup_id',
        'ktime_get_tai_ns',
      ])
        expect(fn(id(n))?.name).toBe(`bpf_${n}`);
  });

  it('bpf_get_cgroup_classid is the current task’s outside tc, the skb’s in tc', () => {
    expect(xdpFuncProto(id('get_cgroup_classid'))).toMatchObject({
      symbol: 'bpf_get_cgroup_classid_curr',
      args: [],
    });
    expect(tcClsActFuncProto(id('get_cgroup_classid'))).toMatchObject({
      symbol: 'bpf_get_cgroup_classid',
      args: ['ARG_PTR_TO_CTX'],
    });
  });

  it('syscall programs have no attach cookie; tracing types no coarse clock', () => {
    expect(syscallFuncProto(id('get_attach_cookie'))).toBeUndefined();
    expect(kprobeFuncProto(id('get_attach_cookie'))).toBeDefined();
    expect(kprobeFuncProto(id('ktime_get_coarse_ns'))).toBeUndefined();
    expect(skFilterFuncProto(id('ktime_get_coarse_ns'))).toBeDefined();
    // syscall's bpf_get_socket_cookie takes a socket pointer, not the ctx
    expect(syscallFuncProto(id('get_socket_cookie'))?.args).toEqual(['ARG_PTR_TO_BTF_ID_SOCK_COMMON']);
    expect(kprobeFuncProto(id('get_socket_cookie'))).toBeUndefined();
  });
});
