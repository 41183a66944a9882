import { describe, expect, it } from 'vitest';
import { BPF_FUNC_MAX_ID, funcIdName, helperId } from './helper-names';

describe('enum bpf_func_id (Linux 6.18)', () => {
  it('has the frozen 212 ids with their names', () => {
    expect(BPF_FUNC_MAX_ID).toBe(212);
    expect(funcIdName(0)).toBe('bpf_unspec');
    expect(funcIdName(5)).toBe('bpf_ktime_get_ns');
    expect(funcIdName(12)).toBe('bpf_tail_call');
    expect(funcIdName(26)).toBe('bpf_skb_load_bytes');
    expect(funcIdName(44)).toBe('bpf_xdp_adjust_head');
    expect(funcIdName(209)).toBe('bpf_user_ringbuf_drain');
    expect(funcIdName(211)).toBe('bpf_cgrp_storage_delete');
    expect(funcIdName(212)).toBe('unknown');
    expect(funcIdName(-1)).toBe('unknown');
    expect(helperId('bpf_map_update_elem')).toBe(2);
    expect(helperId('csum_diff')).toBe(28);
    expect(helperId('bpf_user_rnd_u32')).toBeUndefined();
  });
});
