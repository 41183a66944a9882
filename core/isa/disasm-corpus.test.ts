// The verifier logs of the Linux 6.18 corpus (test/fixtures/corpus) list instructions as
// print_bpf_insn renders them; each listed line must start with formatInsn's text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DisasmResolver, formatInsn } from './disasm';
import { insnsFromHex } from './encoding';
import type { Insn } from './insn';

interface CorpusCase {
  id: string;
  insns: string;
  kernel: { log: string | null };
}

const corpus: CorpusCase[] = readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

// The corpus writes map addresses in logs as <map:N> / <map_value:N+OFF> (N = index into maps).
const corpusResolver = (kfuncNames: Map<number, string>): DisasmResolver => ({
  immText: (insns: readonly Insn[], i: number) => {
    const x = insns[i]!;
    if (x.src === 5) return `<map:${x.imm}>`;
    if (x.src === 6) return `<map_value:${x.imm}+${insns[i + 1]!.imm}>`;
    return undefined;
  },
  callName: (x: Insn) => (x.src === 2 ? kfuncNames.get(x.imm) : undefined),
});

describe('disasm against the corpus verifier logs', () => {
  it('matches every instruction line of every log', () => {
    let lines = 0;
    let programs = 0;
    let kfuncLines = 0;
    const wrong: string[] = [];
    for (const c of corpus) {
      const log = c.kernel.log;
      if (!log) continue;
      const insns = insnsFromHex(c.insns);
      // kfunc names come from BTF (another layer); take them from the log's own text
      // only to check the rest of the line (`call NAME#ID`).
      const kfuncNames = new Map<number, string>();
      let seen = false;
      for (const line of log.split('\n')) {
        const m = /^(\d+): \(([0-9a-f]{2})\) (.*)$/.exec(line);
        if (!m) continue;
        const at = Number(m[1]);
        const insn = insns[at];
        if (!insn) {
          wrong.push(`${c.id}: no insn ${at}`);
          continue;
        }
        if (insn.code === 0x85 && insn.src === 2) {
          const k = /^call ([\w.]+)#(-?\d+)/.exec(m[3]!);
          if (k && Number(k[2]) === insn.imm) kfuncNames.set(insn.imm, k[1]!);
          kfuncLines++;
        }
        const mine = formatInsn(insns, at, corpusResolver(kfuncNames));
        const text = `(${m[2]}) ${m[3]}`;
        lines++;
        seen = true;
        if (!(text.startsWith(mine) && (text.length === mine.length || text[mine.length] === ' '))) {
          wrong.push(`${c.id} ${at}: ${mine}  !=  ${text}`);
        }
      }
      if (seen) programs++;
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(programs).toBe(550);
    expect(lines).toBe(13203);
    expect(kfuncLines).toBeGreaterThan(0);
  });
});
