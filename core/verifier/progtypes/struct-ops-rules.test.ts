import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfBuilder } from '../../btf/writer';
import { bpfBaseFuncProto } from './func-protos';
import { structOpsFromRules, writableFieldAccess } from './struct-ops-rules';

/** A task_struct that embeds an entity at off 8, as a kernel built with the entity lays it out. */
function taskBtf() {
  const b = new BtfBuilder();
  const u64 = b.addInt('unsigned long long', 8);
  const int = b.addInt('int', 4, 1);
  const bool = b.addInt('_Bool', 1, 4);
  const entity = b.addStruct('entity', 24, [
    { name: 'slice', type: u64, bitOffset: 0 },
    { name: 'dsq_vtime', type: u64, bitOffset: 64 },
    { name: 'disallow', type: bool, bitOffset: 128 },
  ]);
  const task = b.addStruct('task_struct', 40, [
    { name: 'pid', type: int, bitOffset: 0 },
    { name: 'scx', type: entity, bitOffset: 64 },
    { name: 'prio', type: int, bitOffset: 256 },
  ]);
  return { btf: parseBtf(b.build()), task };
}

describe('btf_struct_access: fields inside a nested member', () => {
  const { btf, task } = taskBtf();
  const writable = [{ struct: 'task_struct', fields: ['scx.slice', 'scx.dsq_vtime', 'scx.disallow'] }];

  it('silent: a write inside task_struct.scx.slice/dsq_vtime/disallow is allowed', () => {
    expect(writableFieldAccess(writable, btf, task, 8, 8, 'silent')).toBeNull();
    expect(writableFieldAccess(writable, btf, task, 20, 4, 'silent')).toBeNull();
    expect(writableFieldAccess(writable, btf, task, 24, 1, 'silent')).toBeNull();
  });

  it('silent: any other write is refused with nothing to log', () => {
    expect(writableFieldAccess(writable, btf, task, 0, 4, 'silent')).toBe('');
    expect(writableFieldAccess(writable, btf, task, 12, 8, 'silent')).toBe('');
    expect(writableFieldAccess(writable, btf, task, 32, 4, 'silent')).toBe('');
  });

  it('range: the same fields, refused with the hid-bpf style line', () => {
    expect(writableFieldAccess(writable, btf, task, 16, 8, 'range')).toBeNull();
    expect(writableFieldAccess(writable, btf, task, 32, 4, 'range')).toBe(
      'write access at off 32 with size 4 on read-only part of task_struct',
    );
  });
});

describe('get_func_proto per member (helper_rule)', () => {
  const { btf } = taskBtf();
  const hooks = structOpsFromRules(
    {
      name: 'ops',
      members: [{ name: 'init' }, { name: 'release' }],
      helpers: ['setsockopt', 'getsockopt', 'ktime_get_coarse_ns'],
      helperRule: { kind: 'per_member', deny: { release: ['setsockopt', 'getsockopt'] } },
    },
    btf,
  );
  const member = (name: string, index: number) => ({ name, index }) as never;

  it('the denied members do not get the helpers; the others and the base set do', () => {
    const setsockopt = 49;
    const getsockopt = 57;
    const ktimeCoarse = 160;
    expect(hooks.getFuncProto!(setsockopt, member('init', 0))?.name).toBe('bpf_setsockopt');
    expect(hooks.getFuncProto!(getsockopt, member('init', 0))?.name).toBe('bpf_getsockopt');
    expect(hooks.getFuncProto!(setsockopt, member('release', 1))).toBeUndefined();
    expect(hooks.getFuncProto!(getsockopt, member('release', 1))).toBeUndefined();
    expect(hooks.getFuncProto!(ktimeCoarse, member('release', 1))?.name).toBe('bpf_ktime_get_coarse_ns');
    expect(hooks.getFuncProto!(1, member('release', 1))).toEqual(bpfBaseFuncProto(1));
  });
});
