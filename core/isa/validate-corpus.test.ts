// Validation against what Linux 6.18 did with the corpus programs (test/fixtures/corpus).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insnsFromHex } from './encoding';
import { checkProgram } from './validate';

interface CorpusCase {
  id: string;
  insns: string;
  kernel: { verdict: 'accept' | 'reject'; log: string | null; xlated: string | null };
}

const corpus: CorpusCase[] = readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

/** The verifier's reason: the log line before `processed N insns`, else the last line. */
const kernelReason = (log: string): string => {
  const lines = log.trim().split('\n');
  const p = lines.findIndex((l) => l.startsWith('processed '));
  return (p > 0 ? lines[p - 1] : lines[lines.length - 1])!;
};

// Reasons this layer owns; the others (register state, bounds, helpers…) are the verifier's.
const ENCODING_REASON =
  /uses reserved fields|^unknown opcode|^jump out of range|ld_imm64|^invalid shift|^div by zero|^R\d+ is invalid$|atomic opcode|atomic operand size|^invalid may_goto|^call to invalid destination|^invalid func unknown#|^last insn is not an exit or jmp$/;

describe('validate against the Linux 6.18 corpus', () => {
  const accepted = corpus.filter((c) => c.kernel.verdict === 'accept');
  const rejected = corpus.filter((c) => c.kernel.verdict === 'reject');

  it(`accepts all ${accepted.length} programs Linux loaded, and their xlated forms`, () => {
    const flagged: string[] = [];
    for (const c of accepted) {
      const e = checkProgram(insnsFromHex(c.insns), { kernel: true })[0];
      if (e) flagged.push(`${c.id}: ${e.message}`);
      const x = checkProgram(insnsFromHex(c.kernel.xlated!), { xlated: true, regAx: true })[0];
      if (x) flagged.push(`${c.id} xlated: ${x.message}`);
    }
    expect(flagged).toEqual([]);
  });

  it('gives the kernel reason for every encoding rejection', () => {
    let matched = 0;
    const wrong: string[] = [];
    for (const c of rejected) {
      const want = kernelReason(c.kernel.log ?? '');
      if (!ENCODING_REASON.test(want)) continue;
      const got = checkProgram(insnsFromHex(c.insns), { kernel: true })[0]?.reason;
      if (got === want) matched++;
      else wrong.push(`${c.id}: ${got} != ${want}`);
    }
    expect(wrong).toEqual([]);
    expect(matched).toBeGreaterThan(100);
    console.log(`validate: ${matched} corpus rejections reproduced with the kernel's words`);
  });
});
