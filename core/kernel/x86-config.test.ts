import { describe, expect, it } from 'vitest';
import { kernelProfile, REFERENCE_PROFILE } from './profiles';
import { parseX86Config, REFERENCE_X86_CONFIG, returnThunkSymbol } from './x86-config';

describe('x86 kernel configuration', () => {
  it('defaults to the corpus kernel: srso_alias_return_thunk, retpolines, no IBT/kCFI/call depth', () => {
    expect(REFERENCE_PROFILE.x86).toMatchObject({
      returnThunk: 'srso_alias_return_thunk',
      retpoline: 'on',
      ibt: false,
      kcfi: false,
      callDepthTracking: false,
    });
    expect(kernelProfile('v6.18', 'x86_64', parseX86Config('ibt=on')).x86.ibt).toBe(true);
  });

  it('parses key=value lists the kernel way and names what is wrong', () => {
    const c = parseX86Config(
      'return_thunk=none, retpoline=lfence,ibt=on,kcfi=1,kcfi_hash=0x12345678,sls=yes',
    );
    expect(c).toMatchObject({ returnThunk: 'none', retpoline: 'lfence', ibt: true, kcfi: true, sls: true });
    expect(c.kcfiHash).toBe(0x12345678);
    expect(parseX86Config('retpoline=off').retpoline).toBe('off');
    expect(parseX86Config('retpoline=true').retpoline).toBe('on');
    expect(() => parseX86Config('return_thunk=jmp')).toThrow(/return_thunk must be one of none\|/);
    expect(() => parseX86Config('ibt')).toThrow(/'ibt' is not key=value/);
    expect(() => parseX86Config('smap=on')).toThrow(/unknown key 'smap'/);
    expect(() => parseX86Config('kcfi_hash=0x123456789')).toThrow(/32-bit/);
    expect(() => parseX86Config('ibt=maybe')).toThrow(/on or off/);
  });

  it('names the thunk a return jumps to', () => {
    expect(returnThunkSymbol('none')).toBeUndefined();
    expect(returnThunkSymbol('x86_return_thunk')).toBe('__x86_return_thunk');
    expect(returnThunkSymbol('srso_return_thunk')).toBe('srso_return_thunk');
    expect(REFERENCE_X86_CONFIG.bmi2).toBe(true);
  });
});
