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
const verify = (src: string) => bpfCheck({ insns: assemble(src), progType: 'xdp', logLevel: 2 }, { btf });

describe('sign-extending move of a pointer (root load: allow_ptr_leaks)', () => {
  it('gives an unknown scalar, not a reject', () => {
    const r = verify(`r2 = *(u32 *)(r1 +12)
r2 &= 7
r1 = r10
r1 += -16
r1 += r2
r3 = (s32)r1
r4 = (s16)r10
r0 = r3
r0 &= 1
exit`);
    expect(r.error).toBeNull();
    expect(r.log).toMatch(/5: \(bf\) r3 = \(s32\)r1 +; R1=fp\(off=-16,[^\n]* R3=scalar\(\)\n/);
    expect(r.log).toMatch(/6: \(bf\) r4 = \(s16\)r10 +; R4=scalar\(\) R10=fp0\n/);
  });
});
