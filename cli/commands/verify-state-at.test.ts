import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatePane } from '../../core/verifier/debug/state-pane';
import { verify } from './verify';

const run = async (argv: string[]) => {
  let out = '';
  const code = await verify.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
};

const prog = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'kmodel-state-at-')), 'p.s');
  writeFileSync(f, text);
  return f;
};

describe('kmodel verify --state-at', () => {
  const branchy = prog(
    'r0 = *(u32 *)(r1 +0)\nif r0 > 0x3 goto pc+2\nr2 = 1\ngoto pc+1\nr2 = 2\nr0 = r2\nexit\n',
  );

  it('json: one visit per path that reached the insn, with where each read value came from', async () => {
    const { code, out } = await run([
      branchy,
      '--prog-type',
      'socket_filter',
      '--state-at',
      '5',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const pane = JSON.parse(out) as StatePane;
    expect(pane.insn).toBe(5);
    expect(pane.text).toBe('(bf) r0 = r2');
    expect(pane.visits.length).toBe(2);
    const r2 = pane.visits.map((v) => v.before.frames[0]!.regs.find((r) => r.regno === 2)!.text).sort();
    expect(r2).toEqual(['1', '2']);
    expect(pane.visits.map((v) => v.producers.R2![0]).sort()).toEqual([2, 4]);
    expect(pane.visits[0]!.reads.regs).toEqual([2]);
    expect(pane.visits[0]!.writes.regs).toEqual([0]);
  });

  it('text: a helper call shows its prototype with argument names', async () => {
    const p = prog('r2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall bpf_skb_load_bytes#26\nr0 = 0\nexit\n');
    const { code, out } = await run([p, '--prog-type', 'socket_filter', '--state-at', '4']);
    expect(code).toBe(0);
    expect(out).toMatch(/^4: \(85\) call bpf_skb_load_bytes#26/);
    expect(out).toContain(
      'helper bpf_skb_load_bytes(R1=skb: ARG_PTR_TO_CTX, R2=offset: ARG_ANYTHING, R3=to: ARG_PTR_TO_UNINIT_MEM, R4=len: ARG_CONST_SIZE)',
    );
    expect(out).toContain('R3=fp-8');
    expect(out).toContain('R4 <- 3');
  });

  it('an insn no path reached, and a bad index', async () => {
    const dead = prog('r0 = 0\nif r0 == 0x1 goto pc+1\nexit\nr0 = 1\nexit\n');
    const r = await run([dead, '--prog-type', 'socket_filter', '--state-at', '3']);
    expect(r.out).toMatch(/not reached on any explored path/);
    await expect(run([branchy, '--prog-type', 'socket_filter', '--state-at', '70'])).rejects.toThrow(
      /--state-at 70: want an insn index 0\.\.6/,
    );
  });
});
