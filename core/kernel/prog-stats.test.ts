import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import {
  compareStats,
  compareTable,
  deltaCell,
  type ProgStats,
  parseStatsCsv,
  progStats,
  statsCsv,
  statsTable,
} from './prog-stats';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const load = (name: string, text: string) =>
  progStats('t.s', name, { insns: assemble(text), progType: 'socket_filter' }, { btf });

describe('veristat rows for the model', () => {
  const branchy = load(
    'branchy',
    'r0 = *(u32 *)(r1 +0)\nif r0 > 0x3 goto pc+2\nr2 = 1\ngoto pc+1\nr2 = 2\n*(u64 *)(r10 -16) = r2\nr0 = 0\nexit\n',
  );
  const bad = load('bad', 'r0 = r5\nexit\n');

  it("counts what the verifier counted, the loaded and JITed sizes, and a failure's reason", () => {
    expect(branchy.verdict).toBe('success');
    expect(branchy.size).toBe(8);
    expect(branchy.totalInsns).toBeGreaterThan(branchy.size);
    expect(branchy.stackDepth).toBe('16');
    expect(branchy.xlatedSize).toBe(8);
    expect(branchy.jitedSize).toBeGreaterThan(20);
    expect(bad).toMatchObject({ verdict: 'failure', error: 'R5 !read_ok', jitedSize: 0, xlatedSize: 0 });
  });

  it('CSV round-trips, with veristat column names', () => {
    const csv = statsCsv([branchy, bad]);
    expect(csv.split('\n')[0]).toBe(
      'file_name,prog_name,verdict,duration,total_insns,total_states,peak_states,max_states_per_insn,stack_depth,size,xlated_size,jited_size',
    );
    const back = parseStatsCsv(csv);
    expect(back.map((r) => ({ ...r, error: '' }))).toEqual([branchy, bad].map((r) => ({ ...r, error: '' })));
    expect(statsTable([branchy, bad]).split('\n')[2]).toMatch(/^t\.s\s+branchy\s+success/);
    // Counts a run did not make stay empty, not 0.
    const unknown: ProgStats = { ...bad, totalStates: null };
    expect(parseStatsCsv(statsCsv([unknown]))[0]!.totalStates).toBeNull();
  });

  it('compare: rows matched by file and program, deltas as veristat prints them', () => {
    expect(deltaCell(100, 112)).toBe('+12 (+12.00%)');
    expect(deltaCell(8, 6)).toBe('-2 (-25.00%)');
    expect(deltaCell(0, 0)).toBe('+0 (+0.00%)');
    expect(deltaCell(null, 4)).toBe('N/A');
    const more: ProgStats = { ...branchy, totalInsns: branchy.totalInsns + 5 };
    const only: ProgStats = { ...bad, program: 'new' };
    const d = compareStats([branchy, bad], [bad, more, only]);
    expect(d.map((x) => [x.program, !!x.a, !!x.b])).toEqual([
      ['branchy', true, true],
      ['bad', true, true],
      ['new', false, true],
    ]);
    const lines = compareTable(d).split('\n');
    expect(lines[2]).toContain('MATCH');
    expect(lines[2]).toContain(`+5 (+${((5 / branchy.totalInsns) * 100).toFixed(2)}%)`);
    expect(lines[4]).toMatch(/new\s+N\/A\s+failure\s+N\/A/);
  });
});
