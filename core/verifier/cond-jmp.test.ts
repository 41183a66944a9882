import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck } from './index';

const root = join(__dirname, '../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const maps = [{ type: 'hash' as const, keySize: 4, valueSize: 8, maxEntries: 4 }];

/** Two lookups: r6 checked for NULL, r7 not; then `if r6 <op> r7` and a read through r7. */
const twoLookups = (cmp: string, readOnTaken: boolean) =>
  assemble(`*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
if r0 == 0 goto pc+12
r6 = r0
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
r7 = r0
${cmp} goto pc+2
${readOnTaken ? 'r0 = 0\nexit' : 'r0 = *(u32 *)(r7 +0)\nexit'}
${readOnTaken ? 'r0 = *(u32 *)(r7 +0)' : 'r0 = 0'}
exit
r0 = 0
exit`);

const verify = (cmp: string, readOnTaken: boolean) =>
  bpfCheck({ insns: twoLookups(cmp, readOnTaken), progType: 'xdp', maps }, { btf });

describe('pointer comparison (check_cond_jmp_op)', () => {
  it('a maybe-NULL pointer equal to a non-NULL one is not NULL in the equal branch', () => {
    expect(verify('if r6 == r7', true).verdict).toBe('accept');
    expect(verify('if r7 == r6', true).verdict).toBe('accept');
    expect(verify('if r6 != r7', false).verdict).toBe('accept');
  });

  it('stays maybe-NULL in the other branch', () => {
    expect(verify('if r6 == r7', false).error).toBe("R7 invalid mem access 'map_value_or_null'");
    expect(verify('if r6 != r7', true).error).toBe("R7 invalid mem access 'map_value_or_null'");
  });
});
