// Reader for bpf_conformance `.data` files (test/fixtures/isa/README.md, "The .data
// format"): sections `-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error`, `-- c`,
// and the ignored `-- no register offset`.

import { assembleConformance } from './asm';
import { decodeInsns } from './encoding';
import type { Insn } from './insn';

export interface ConformanceData {
  asm?: string;
  /** The `-- raw` section's bytes (little-endian struct bpf_insn). */
  raw?: Uint8Array;
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

export class DataFileError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'DataFileError';
  }
}

const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c']);

/** True when the text looks like a .data file (has a known `--` section line). */
export const isConformanceData = (text: string): boolean =>
  /^\s*--\s*(asm|raw|mem|result|error)\s*(#.*)?$/m.test(text);

export function parseConformanceData(text: string): ConformanceData {
  const sections = new Map<string, { line: number; lines: string[] }>();
  let current: string[] | undefined;
  let ignoring = false;
  const lines = text.split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k]!;
    const body = raw.replace(/#.*/, '').trim();
    if (body.startsWith('--')) {
      const name = body.slice(2).trim();
      if (name === 'no register offset') {
        ignoring = true;
        current = undefined;
        continue;
      }
      if (!KNOWN.has(name)) throw new DataFileError(k + 1, `unknown section '-- ${name}'`);
      ignoring = false;
      current = [];
      sections.set(name, { line: k + 1, lines: current });
      continue;
    }
    if (ignoring || !current) continue;
    // asm keeps its comments (the assembler strips them); other sections drop them.
    current.push(sections.get('asm')?.lines === current ? raw : body);
  }
  if (sections.size === 0) throw new DataFileError(1, 'no sections');

  const out: ConformanceData = { mem: new Uint8Array(0) };
  const asm = sections.get('asm');
  if (asm) out.asm = asm.lines.join('\n');
  const raw = sections.get('raw');
  if (raw) out.raw = rawBytes(raw.lines, raw.line);
  const mem = sections.get('mem');
  if (mem) out.mem = hexBytes(mem.lines.join(' '), mem.line);
  const result = sections.get('result');
  if (result) {
    const t = result.lines.join('').trim();
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new DataFileError(result.line, `bad result '${t}'`);
    out.result = BigInt.asUintN(64, BigInt(t));
  }
  const error = sections.get('error');
  if (error) out.error = error.lines.join('\n').trim();
  if (out.result === undefined && out.error === undefined) {
    throw new DataFileError(lines.length, 'the file has neither a result nor an error');
  }
  return out;
}

function hexBytes(text: string, line: number): Uint8Array {
  const toks = text.split(/\s+/).filter(Boolean);
  const out = new Uint8Array(toks.length);
  toks.forEach((t, k) => {
    if (!/^(0x)?[0-9a-f]{1,2}$/i.test(t)) throw new DataFileError(line, `bad byte '${t}'`);
    out[k] = Number.parseInt(t.replace(/^0x/i, ''), 16);
  });
  return out;
}

/** `-- raw`: 64-bit words (struct bpf_insn read as a LE u64), or eight hex bytes per line. */
function rawBytes(lines: string[], line: number): Uint8Array {
  const toks = lines.join(' ').split(/\s+/).filter(Boolean);
  if (toks.length % 8 === 0 && toks.every((t) => /^[0-9a-f]{2}$/i.test(t)))
    return hexBytes(toks.join(' '), line);
  const out = new Uint8Array(toks.length * 8);
  toks.forEach((t, k) => {
    if (!/^(0x)?[0-9a-f]{1,16}$/i.test(t)) throw new DataFileError(line, `bad instruction word '${t}'`);
    let v = BigInt(t.startsWith('0x') || t.startsWith('0X') ? t : `0x${t}`);
    for (let b = 0; b < 8; b++) {
      out[k * 8 + b] = Number(v & 0xffn);
      v >>= 8n;
    }
  });
  return out;
}

/** The program of a .data file: `-- raw` wins over `-- asm`. Throws on an empty program. */
export function conformanceProgram(data: ConformanceData): Insn[] {
  const insns = data.raw
    ? decodeInsns(data.raw)
    : data.asm !== undefined
      ? assembleConformance(data.asm)
      : [];
  if (insns.length === 0) throw new DataFileError(1, 'no instructions');
  return insns;
}
