// A verifier log (level 1 or 2, any kernel) read back into what it shows: the instruction
// stream and, per printed insn, the registers and stack slots as far as the log tells them
// (each printed state updates what is known, the way bpfvv reconstructs it). Pure text in,
// plain data out: no kmodel run needed.
import { reasonLine } from '../index';

/** Registers and slots by their log names (`R1`, `fp-8`) → printed value, per frame. */
export type LogState = Record<string, string>;

export interface LogInsnVisit {
  /** 0-based line of the log. */
  line: number;
  insn: number;
  /** `(61) r2 = *(u32 *)(r1 +0)`. */
  text: string;
  frame: number;
  /** What the log has told so far of the state the insn saw. */
  before: LogState;
  /** The state after it: `before` updated by the `; R…` the insn printed (null: it printed none). */
  after: LogState | null;
  /** Names the log printed after this insn (the regs/slots it touched). */
  printed: string[];
  /** The first insn of an explored path: `before` is the whole state the log printed for it. */
  pathStart: boolean;
}

export type LogLineKind = 'insn' | 'state' | 'branch' | 'safe' | 'source' | 'stats' | 'other';

export interface ParsedVerifierLog {
  lines: { text: string; kind: LogLineKind }[];
  /** Each insn the log printed once, by index. */
  stream: { insn: number; text: string }[];
  visits: LogInsnVisit[];
  /** The reason line of a rejection (last line before the statistics), if any. */
  error: string | null;
  stats: { processed: number; maxStatesPerInsn: number; totalStates: number; peakStates: number } | null;
}

const INSN = /^(\d+): (\([0-9a-f]{2}\) .*)$/;
const STATE = /^(\d+): ((?:frame\d+: )?(?:R\d+|fp-?\d+|refs)=.*)$/;
const BRANCH = /^from (\d+) to (\d+): (.*)$/;
const SAFE = /^(\d+): safe$/;
const STATS =
  /processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)/;
// An insn line may carry the next state: `; R0=…` (after this insn) or ` 2: R0=…` (before insn 2).
const AFTER = /\s+; ((?:frame\d+: )?(?:R\d+|fp-?\d+|refs)=.*)$/;
const NEXT = / (\d+): ((?:frame\d+: )?(?:R\d+|fp-?\d+)=.*)$/;

/** `frame1: R1=ctx() fp-8=mmmmmmmm` → frame and name/value pairs (values may hold spaces in parens). */
export function parseStateText(text: string): { frame: number | null; values: [string, string][] } {
  let s = text.trim();
  let frame: number | null = null;
  const fm = /^frame(\d+):\s*/.exec(s);
  if (fm) {
    frame = Number(fm[1]);
    s = s.slice(fm[0].length);
  }
  const values: [string, string][] = [];
  let depth = 0;
  let start = 0;
  const flush = (end: number) => {
    const tok = s.slice(start, end).trim();
    const eq = tok.indexOf('=');
    if (eq > 0) values.push([tok.slice(0, eq), tok.slice(eq + 1)]);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ' ' && depth === 0) {
      flush(i);
      start = i + 1;
    }
  }
  flush(s.length);
  return { frame, values };
}

const isCall = (text: string): boolean => /^\(85\) call /.test(text);
const isExit = (text: string): boolean => /^\(95\) exit/.test(text);

export function parseVerifierLog(log: string): ParsedVerifierLog {
  const raw = log.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const lines: ParsedVerifierLog['lines'] = [];
  const stream = new Map<number, string>();
  const visits: LogInsnVisit[] = [];
  // Known values per frame; `frame` is the frame the last printed state named.
  let frames = new Map<number, LogState>([[0, {}]]);
  let frame = 0;
  let stats: ParsedVerifierLog['stats'] = null;
  let pathStart = true;

  const cur = (): LogState => {
    let s = frames.get(frame);
    if (!s) {
      s = {};
      frames.set(frame, s);
    }
    return s;
  };
  const apply = (text: string, replace: boolean): string[] => {
    const p = parseStateText(text);
    if (p.frame !== null) frame = p.frame;
    else if (replace) frame = 0;
    if (replace) frames.set(frame, {});
    const st = cur();
    for (const [k, v] of p.values) st[k] = v;
    return p.values.map(([k]) => k);
  };

  for (let n = 0; n < raw.length; n++) {
    const text = raw[n]!;
    const statsM = STATS.exec(text);
    const branchM = statsM ? null : BRANCH.exec(text);
    const safeM = SAFE.exec(text);
    const stateM = STATE.exec(text);
    const insnM = INSN.exec(text);
    if (statsM) {
      const m = statsM;
      stats = {
        processed: Number(m[1]),
        maxStatesPerInsn: Number(m[2]),
        totalStates: Number(m[3]),
        peakStates: Number(m[4]),
      };
      lines.push({ text, kind: 'stats' });
    } else if (branchM) {
      const m = branchM;
      lines.push({ text, kind: m[3] === 'safe' ? 'safe' : 'branch' });
      // A new path: the state the log prints is all of it.
      if (m[3] !== 'safe') {
        frames = new Map();
        apply(m[3]!, true);
        pathStart = true;
      }
    } else if (safeM) {
      lines.push({ text, kind: 'safe' });
    } else if (stateM) {
      const m = stateM;
      lines.push({ text, kind: 'state' });
      apply(m[2]!, visits.length === 0);
    } else if (insnM) {
      const m = insnM;
      lines.push({ text, kind: 'insn' });
      const insn = Number(m[1]);
      let body = m[2]!;
      let after: string | null = null;
      let next: { insn: number; state: string } | null = null;
      const a = AFTER.exec(body);
      if (a) {
        after = a[1]!;
        body = body.slice(0, a.index);
      } else {
        const nx = NEXT.exec(body);
        if (nx) {
          next = { insn: Number(nx[1]), state: nx[2]! };
          body = body.slice(0, nx.index);
        }
      }
      body = body.trimEnd();
      if (!stream.has(insn)) stream.set(insn, body);
      const before = { ...cur() };
      const visit: LogInsnVisit = {
        line: n,
        insn,
        text: body,
        frame,
        before,
        after: null,
        printed: [],
        pathStart,
      };
      pathStart = false;
      if (after !== null && isExit(body) && frame === 0) {
        // The main program's exit ends the path: what follows it is the next path's whole state.
        frames = new Map();
        apply(after, true);
        pathStart = true;
      } else if (after !== null) {
        // A call clobbers the argument registers; the log prints only what it set.
        if (isCall(body)) for (let r = 1; r <= 5; r++) delete cur()[`R${r}`];
        visit.printed = apply(after, false);
        visit.after = { ...cur() };
      }
      if (next) apply(next.state, false);
      visits.push(visit);
    } else if (/^\s*;/.test(text)) {
      lines.push({ text, kind: 'source' });
    } else {
      lines.push({ text, kind: 'other' });
    }
  }
  return {
    lines,
    stream: [...stream].sort((x, y) => x[0] - y[0]).map(([insn, text]) => ({ insn, text })),
    visits,
    error: reasonLine(log),
    stats,
  };
}
