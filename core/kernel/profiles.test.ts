import { describe, expect, it } from 'vitest';
import { allHelperProtos, helperProto, helperProtoById } from './helpers';
import { isKernelProfileName, KERNEL_PROFILE_NAMES, kernelProfile, REFERENCE_PROFILE } from './profiles';

describe('kernel profiles', () => {
  it('encode the pro/epilogue call history (pipeline.md §4.1, §7.1)', () => {
    const p = Object.fromEntries(KERNEL_PROFILE_NAMES.map((n) => [n, kernelProfile(n)]));
    expect(p['v6.12']).toMatchObject({
      genEpilogue: true,
      kfuncsInProEpilogue: false,
      finalizedCalls: false,
    });
    expect(p['v6.18']).toMatchObject({
      kfuncsInProEpilogue: true,
      finalizedCalls: false,
      uncloneCall: 'helper-id',
    });
    expect(p['bpf-next-2026']).toMatchObject({
      kfuncsInProEpilogue: false,
      finalizedCalls: true,
      trustedArgsDefault: true,
      uncloneCall: 'emit-call',
    });
    expect(REFERENCE_PROFILE.release).toBe('6.18.44-fc-v669');
  });
  it('carry per-architecture far kfunc call support', () => {
    expect(kernelProfile('v6.18', 'x86_64').arch.supportsFarKfuncCall).toBe(false);
    expect(kernelProfile('v6.18', 's390').arch.supportsFarKfuncCall).toBe(true);
    expect(kernelProfile('v6.18', 'powerpc64').arch.supportsFarKfuncCall).toBe(true);
    expect(isKernelProfileName('v6.18')).toBe(true);
    expect(isKernelProfileName('v5.10')).toBe(false);
  });
});

describe('helper protos', () => {
  it('use enum bpf_func_id numbering and kernel symbols', () => {
    expect(helperProto('map_lookup_elem')?.id).toBe(1);
    expect(helperProto('tail_call')?.id).toBe(12);
    expect(helperProto('skb_pull_data')).toMatchObject({
      id: 39,
      symbol: 'bpf_skb_pull_data',
      changesPktData: true,
    });
    expect(helperProtoById(7)?.symbol).toBe('bpf_user_rnd_u32');
    expect(helperProtoById(6)?.gplOnly).toBe(true);
    for (const p of allHelperProtos()) expect(p.args.length).toBeLessThanOrEqual(5);
  });
});
