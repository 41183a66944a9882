import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const line = (src: string, prefix: string): string | undefined =>
  bpfCheck({ insns: assemble(src), progType: 'socket_filter', maps: [], logLevel: 2 }, { btf })
    .log.split('\n')
    .find((l) => l.startsWith(prefix));

describe('sign-extending fills from the stack', () => {
  it('a half-word fill that may change sign loses the link to its slot (ptype-0705)', () => {
    const src = `r2 = *(u32 *)(r1 +0)
r2 &= 0xffff
*(u16 *)(r10 -8) = r2
r3 = *(s16 *)(r10 -8)
r0 = 0
exit`;
    expect(line(src, '3: (89)')).toContain('; R3=scalar(smin=smin32=-32768,smax=smax32=32767) R10=fp0 fp-8=');
  });

  it('a word fill keeps it, as Linux 6.18 does (random-0630)', () => {
    const src = `r2 = *(u32 *)(r1 +0)
*(u32 *)(r10 -8) = r2
r3 = *(s32 *)(r10 -8)
r0 = 0
exit`;
    expect(line(src, '2: (81)')).toContain('; R3=scalar(id=1,');
  });
});
