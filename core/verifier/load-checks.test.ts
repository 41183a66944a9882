import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { bpfCheck, type LoadAttr } from './index';

const root = join(__dirname, '../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const progs = { type: 'prog_array' as const, keySize: 4, valueSize: 4, maxEntries: 1 };
const load = (src: string, more: Partial<LoadAttr> = {}) =>
  bpfCheck({ insns: assemble(src), progType: 'sched_cls', maps: [progs], ...more }, { btf });

// main calls a subprogram that does `body`, then returns 0
const withSubprog = (body: string) => `r6 = r1
call pc+2
r0 = 0
exit
r6 = r1
${body}
r0 = 0
exit`;
const tailCall = `r1 = r6
r2 = map[idx:0]
r3 = 0
call bpf_tail_call`;

describe('check_abnormal_return (a load without BTF func_info)', () => {
  it('refuses a tail call or LD_ABS in a subprogram, before do_check', () => {
    const t = load(withSubprog(tailCall));
    expect([t.errno, t.error, t.processedInsns]).toEqual([
      22,
      'tail_call is not allowed in subprogs without BTF',
      0,
    ]);
    const l = load(withSubprog('r0 = *(u8 *)skb[0]'));
    expect(l.error).toBe('LD_ABS is not allowed in subprogs without BTF');
  });

  it('allows them in the main program, and in subprograms when the load has func_info', () => {
    expect(load(`r6 = r1\n${tailCall}\ncall pc+2\nr0 = 0\nexit\nr0 = 0\nexit`).verdict).toBe('accept');
    expect(load(withSubprog('r0 = *(u8 *)skb[0]'), { btfFuncInfo: true }).verdict).toBe('accept');
  });
});
