import { describe, expect, it } from 'vitest';
import { initMemberError, objNameCpy, uniqueNameError, zeroMemberError } from './init-member';
import type { InitMemberRule } from './schema';

const rule = (r: Partial<InitMemberRule> & Pick<InitMemberRule, 'check'>): InitMemberRule => ({
  errno: 'EINVAL',
  ...r,
});

describe('bpf_obj_name_cpy', () => {
  it('copies [A-Za-z0-9_.] up to a NUL inside the array', () => {
    expect(objNameCpy('bpf_dctcp.v2', 16)).toEqual({ len: 12 });
    expect(objNameCpy('', 16)).toEqual({ len: 0 });
    expect(objNameCpy('fifteen_chars_x', 16)).toEqual({ len: 15 });
  });
  it('refuses another character, and a name that fills the array', () => {
    expect(objNameCpy('a-b', 16)).toEqual({ error: "'a-b' has '-' (only [A-Za-z0-9_.] are copied)" });
    expect(objNameCpy('sixteen_chars_xx', 16)).toEqual({
      error: "'sixteen_chars_xx' has no NUL within its 16 bytes",
    });
  });
});

describe('init_member cases', () => {
  it('obj_name: an empty name is refused as bpf_obj_name_cpy <= 0 is', () => {
    expect(initMemberError('name', rule({ check: 'obj_name' }), undefined, 16)).toBe(
      'init_member name: empty (bpf_obj_name_cpy copied 0 bytes) (-EINVAL, errno only)',
    );
    expect(initMemberError('name', rule({ check: 'obj_name' }), 'bpf_reno', 16)).toBeNull();
  });
  it('mask: bits outside the mask, u64 values as hex strings', () => {
    const flags = rule({ check: 'mask', mask: 0x1007f, name: 'SCX_OPS_ALL_FLAGS' });
    expect(initMemberError('flags', flags, 0x10008, 8)).toBeNull();
    expect(initMemberError('flags', flags, '0x100000000000080', 8)).toBe(
      'init_member flags: 0x100000000000080 has bits 0x100000000000080 outside SCX_OPS_ALL_FLAGS (0x1007f) (-EINVAL, errno only)',
    );
  });
  it('max: the errno the kernel picks', () => {
    const t = rule({ check: 'max', max: 30000, name: 'SCX_WATCHDOG_MAX_TIMEOUT', errno: 'E2BIG' });
    expect(initMemberError('timeout_ms', t, 30000, 4)).toBeNull();
    expect(initMemberError('timeout_ms', t, 30001, 4)).toBe(
      'init_member timeout_ms: 30001 > SCX_WATCHDOG_MAX_TIMEOUT (30000) (-E2BIG, errno only)',
    );
  });
  it('zero and copy', () => {
    expect(initMemberError('priv_size', rule({ check: 'zero' }), 8, 4)).toMatch(/must be 0.*-EINVAL/);
    expect(initMemberError('priv_size', rule({ check: 'zero' }), undefined, 4)).toBeNull();
    expect(initMemberError('hid_id', rule({ check: 'copy' }), 12, 4)).toBeNull();
  });
  it('a member init_member does not take must be zero', () => {
    expect(zeroMemberError('list', undefined)).toBeNull();
    expect(zeroMemberError('list', 1)).toBe(
      'map update list: init_member does not take it, so it must be zero (-EINVAL, errno only)',
    );
  });
  it('reg: a registered name, with what the kernel logs', () => {
    const u = { member: 'name', registered: ['cubic'], errno: 'EEXIST' as const, message: '{name} taken' };
    expect(uniqueNameError(u, 'bpf_x')).toBeNull();
    expect(uniqueNameError(u, 'cubic')).toBe(
      `reg name: 'cubic' is already registered (-EEXIST; kernel log: "cubic taken")`,
    );
  });
});
