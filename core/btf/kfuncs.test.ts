import { describe, expect, it } from 'vitest';
import { parseBtf } from './btf';
import { BtfError } from './error';
import {
  BTF_FMODEL_SIGNED_ARG,
  BTF_FMODEL_STRUCT_ARG,
  btfDistillFunc,
  btfDistillFuncProto,
} from './func-model';
import {
  BtfIdSet8,
  bpfProgTypeToKfuncHook,
  discoverKfuncs,
  KF_ACQUIRE,
  KF_RET_NULL,
  KfuncSetRegistry,
  kfFlagsString,
  resolveBtfIdList,
} from './kfuncs';
import { BtfRegistry } from './registry';
import { BtfBuilder } from './writer';

function kernel() {
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, 1);
  const u32 = b.addInt('unsigned int', 4);
  const u64 = b.addInt('long long unsigned int', 8);
  const sock = b.addStruct('sock', 16, [{ name: 'a', type: u64, bitOffset: 0 }]);
  const big = b.addStruct('big', 24, [{ name: 'a', type: u64, bitOffset: 0 }]);
  const empty = b.addStruct('empty', 0, []);
  const sockPtr = b.addPtr(sock);
  const ids: Record<string, number> = {};
  const fn = (name: string, ret: number, params: number[], kfunc = true) => {
    const proto = b.addFuncProto(
      ret,
      params.map((type, i) => ({ name: `a${i}`, type })),
    );
    ids[name] = b.addFunc(name, proto, 1);
    if (kfunc) b.addDeclTag('bpf_kfunc', ids[name]!);
  };
  fn('tcp_reno_ssthresh', u32, [sockPtr]);
  fn('tcp_slow_start', u32, [sockPtr, u32]);
  fn('bpf_cast_to_kern_ctx', b.addPtr(0), [b.addPtr(0)]);
  fn('not_a_kfunc', int, [int], false);
  fn('too_many', int, new Array(13).fill(int));
  fn('twelve', int, new Array(12).fill(u64));
  fn('by_value_16', int, [sock, int]);
  fn('by_value_24', int, [int, big]);
  fn('ret_struct', sock, []);
  fn('varargs', int, [int, 0]);
  fn('void_arg', int, [empty]);
  fn('ret_void', 0, []);
  b.addDeclTag('bpf_kfunc', ids.tcp_slow_start!, 0); // a param tag is not a kfunc marker
  return { btf: parseBtf(b.build()), ids };
}

describe('kfunc discovery and sets', () => {
  const { btf, ids } = kernel();
  const reg = new BtfRegistry(btf);

  it('discovers FUNCs tagged bpf_kfunc', () => {
    const names = discoverKfuncs(btf).map((k) => k.name);
    expect(names).toContain('tcp_reno_ssthresh');
    expect(names).not.toContain('not_a_kfunc');
    expect(names.filter((n) => n === 'tcp_slow_start').length).toBe(1);
  });

  it('registers sets per hook and looks up COMMON first', () => {
    const k = new KfuncSetRegistry<{ name: string }>(reg);
    const tcp = new BtfIdSet8('tcp', [
      { id: ids.tcp_slow_start!, flags: 0 },
      { id: ids.tcp_reno_ssthresh!, flags: KF_ACQUIRE },
    ]);
    k.registerBtfKfuncIdSet('struct_ops', { owner: 1, set: tcp });
    k.registerBtfKfuncIdSet('unspec', {
      owner: 1,
      set: new BtfIdSet8('common', [{ id: ids.bpf_cast_to_kern_ctx!, flags: KF_RET_NULL }]),
    });
    expect(k.kfuncIdSetContains('struct_ops', 1, ids.tcp_reno_ssthresh!)).toBe(KF_ACQUIRE);
    expect(k.kfuncIdSetContains('STRUCT_OPS', 1, ids.tcp_slow_start!)).toBe(0);
    expect(k.kfuncIdSetContains('xdp', 1, ids.tcp_reno_ssthresh!)).toBeUndefined();
    expect(k.kfuncIdSetContains('xdp', 1, ids.bpf_cast_to_kern_ctx!)).toBe(KF_RET_NULL);
    expect(k.kfuncIdSetContains('struct_ops', 2, ids.tcp_reno_ssthresh!)).toBeUndefined();
    expect(k.hooksOf(1, ids.tcp_slow_start!)).toEqual(['STRUCT_OPS']);
    // A filter hides a kfunc from the programs it rejects.
    k.registerBtfKfuncIdSet('xdp', {
      owner: 1,
      set: new BtfIdSet8('xdp', [{ id: ids.tcp_slow_start!, flags: 0 }]),
      filter: (prog, id) => (prog.name === 'deny' && id === ids.tcp_slow_start ? -13 : 0),
    });
    expect(k.kfuncIdSetContains('xdp', 1, ids.tcp_slow_start!, { name: 'ok' })).toBe(0);
    expect(k.kfuncIdSetContains('xdp', 1, ids.tcp_slow_start!, { name: 'deny' })).toBeUndefined();
    expect(
      k
        .registered('STRUCT_OPS')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['tcp_reno_ssthresh', 'tcp_slow_start']);
  });

  it('rejects malformed registrations', () => {
    const k = new KfuncSetRegistry(reg);
    expect(() => k.registerBtfKfuncIdSet('xdp', { owner: 1, set: new BtfIdSet8('plain', [], 0) })).toThrow(
      BtfError,
    );
    expect(() => k.registerBtfKfuncIdSet('ext', { owner: 1, set: new BtfIdSet8('s', []) })).toThrow(
      /no kfunc hook/,
    );
    expect(() =>
      k.registerBtfKfuncIdSet('xdp', { owner: 1, set: new BtfIdSet8('s', [{ id: 1, flags: 0 }]) }),
    ).toThrow(/not a FUNC/);
  });

  it('maps program types to hooks, prints flags, resolves BTF_ID_LISTs', () => {
    expect(bpfProgTypeToKfuncHook('sched_cls')).toBe('TC');
    expect(bpfProgTypeToKfuncHook('sock_ops')).toBe('CGROUP');
    expect(bpfProgTypeToKfuncHook('lsm')).toBe('TRACING');
    expect(bpfProgTypeToKfuncHook('ext')).toBeUndefined();
    expect(kfFlagsString(KF_ACQUIRE | KF_RET_NULL)).toBe('KF_ACQUIRE | KF_RET_NULL');
    expect(kfFlagsString(1 << 30)).toBe('0x40000000');
    const list = resolveBtfIdList(btf, 'l', [
      ['struct', 'sock'],
      ['func', 'nope'],
      ['func', 'tcp_slow_start'],
    ]);
    expect(list.ids).toEqual([btf.findByName('sock'), 0, ids.tcp_slow_start]);
    const set = new BtfIdSet8('s', [
      { id: 9, flags: 1 },
      { id: 3, flags: 2 },
    ]);
    expect([...set.ids]).toEqual([3, 9]);
    expect(set.contains(3)).toBe(2);
    expect(set.contains(4)).toBeUndefined();
  });
});

describe('btfDistillFuncProto', () => {
  const { btf, ids } = kernel();
  const log = (name: string) => {
    const r = btfDistillFunc(btf, ids[name]!);
    return r.ok ? 'ok' : r.log;
  };

  it('models sizes and flags', () => {
    const r = btfDistillFunc(btf, ids.tcp_slow_start!);
    expect(r).toEqual({
      ok: true,
      model: { retSize: 4, retFlags: 0, nrArgs: 2, argSize: [8, 4], argFlags: [0, 0] },
    });
    const s = btfDistillFunc(btf, ids.by_value_16!);
    expect(s.ok && s.model.argFlags).toEqual([BTF_FMODEL_STRUCT_ARG, BTF_FMODEL_SIGNED_ARG]);
    expect(s.ok && s.model.retFlags).toBe(BTF_FMODEL_SIGNED_ARG);
    const v = btfDistillFunc(btf, ids.ret_void!);
    expect(v.ok && v.model).toMatchObject({ retSize: 0, nrArgs: 0 });
    expect(btfDistillFunc(btf, ids.twelve!).ok).toBe(true);
    const none = btfDistillFuncProto(btf, undefined, 'x');
    expect(none.ok && none.model).toEqual({
      retSize: 8,
      retFlags: 0,
      nrArgs: 5,
      argSize: [8, 8, 8, 8, 8],
      argFlags: [0, 0, 0, 0, 0],
    });
  });

  it('rejects like the kernel, with its log lines', () => {
    expect(log('too_many')).toBe('The function too_many has 13 arguments. Too many.\n');
    expect(log('by_value_24')).toBe('The function by_value_24 arg1 type STRUCT is unsupported.\n');
    expect(log('ret_struct')).toBe('The function ret_struct return type STRUCT is unsupported.\n');
    expect(log('varargs')).toBe('The function varargs with variable args is unsupported.\n');
    expect(log('void_arg')).toBe('The function void_arg has malformed void argument.\n');
  });
});
