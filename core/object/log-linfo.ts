// The C source lines a verifier log shows for a program loaded with line_info, in the
// form of the kernel's verbose_linfo: before an instruction's `N: (xx) …` line, the
// line_info record covering N as `; <line, leading blanks dropped> @ <file>:<line>`, the
// file without its directories.
// A line is printed once until another is: clang writes a record per column, and
// records of the same line in a row would repeat it. Line 0 (code the compiler made
// up) prints as the kernel prints it: no text, `@ <file>:0`.
import type { LineInfo } from './types';

/** The line_info record covering insn `idx` (the last one starting at or before it). */
function coveringRecord(sorted: readonly LineInfo[], idx: number): LineInfo | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let found: LineInfo | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.insnOff <= idx) {
      found = sorted[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function logWithLineInfo(log: string, lineInfo: readonly LineInfo[]): string {
  if (!lineInfo.length || !log) return log;
  const sorted = [...lineInfo].sort((a, b) => a.insnOff - b.insnOff);
  let prev: LineInfo | undefined;
  const out: string[] = [];
  for (const line of log.split('\n')) {
    const m = /^(\d+): \([0-9a-f]{2}\)/.exec(line);
    const rec = m ? coveringRecord(sorted, Number(m[1])) : undefined;
    if (rec && !(prev && rec.lineNum === prev.lineNum && rec.fileName === prev.fileName)) {
      const file = rec.fileName.slice(rec.fileName.lastIndexOf('/') + 1);
      out.push(`; ${rec.line.trimStart()} @ ${file}:${rec.lineNum}`);
      prev = rec;
    }
    out.push(line);
  }
  return out.join('\n');
}
