import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../test/fixtures/isa/load';
import { conformanceProgram, isConformanceData, parseConformanceData } from './conformance';
import { bytesToHex, insnsToHex } from './encoding';
import { runConformance } from './interp';

const dir = join(__dirname, '../../test/fixtures/isa/data');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const cases = new Map(loadCases().map((c) => [c.name, c]));

describe('.data files', () => {
  it('read to the same program, memory and result as cases.jsonl', () => {
    const files = readdirSync(dir).filter((f) => !f.startsWith('neg-'));
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) {
      const c = cases.get(f.replace(/\.data$/, ''))!;
      const d = parseConformanceData(read(f));
      expect(isConformanceData(read(f))).toBe(true);
      expect(insnsToHex(conformanceProgram(d)), f).toBe(c.insns);
      expect(bytesToHex(d.mem)).toBe(c.mem);
      expect(`0x${d.result!.toString(16)}`).toBe(c.result);
      for (const engine of ['compiled', 'stepping'] as const) {
        expect(runConformance(conformanceProgram(d), d.mem, { engine }).r0, `${f} ${engine}`).toBe(d.result);
      }
    }
  });

  it('reads raw bytes written eight to a line, and refuses the runner negatives', () => {
    const d = parseConformanceData(read('neg-unused-add_imm-src.data'));
    expect(bytesToHex(d.raw!)).toBe('04100000010000009500000000000000');
    expect(d.error).toBe('');
    expect(() => parseConformanceData(read('neg-invalid_unknown_directive.data'))).toThrow(/unknown section/);
    expect(() => parseConformanceData(read('neg-empty.data'))).toThrow(/no sections/);
    const high = parseConformanceData(read('neg-incorrect_return_value_high_bits.data'));
    for (const engine of ['compiled', 'stepping'] as const) {
      expect(runConformance(conformanceProgram(high), high.mem, { engine }).r0).not.toBe(high.result);
    }
  });
});
