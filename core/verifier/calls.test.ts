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

describe('helper return ranges (do_refine_retval_range)', () => {
  it('bpf_get_smp_processor_id returns a CPU below nr_cpu_ids (2 on the corpus machine)', () => {
    const r = bpfCheck(
      {
        insns: assemble(`call bpf_get_smp_processor_id
if r0 > 1 goto pc+1
exit
r0 = *(u8 *)(r0 +0)
exit`),
        progType: 'xdp',
        logLevel: 2,
      },
      { btf },
    );
    // the branch past 1 is dead: the NULL-page read behind it is never checked
    expect(r.verdict).toBe('accept');
    expect(r.log).toContain('R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))');
  });
});
