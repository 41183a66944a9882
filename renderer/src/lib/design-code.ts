// Each member's code under every call design — the patched program and its x86-64 JIT,
// generated instructions and their calls marked — as Markdown and plain text that stay
// within 100 columns: one listing when the designs produce the same code, side by side
// when the columns fit, else one after the other. The report page shows the same data
// (DesignCode.svelte), loaded per design through the API's jit.

import type { JitView } from '../../../main/api/types';
import { MAIL_WIDTH, wrapWords } from './wrap';

export interface DesignCodeEntry {
  design: string;
  profile: string;
  /** Patched-program indices the prologue/epilogue generated. */
  generatedIdx: number[];
  view: Pick<JitView, 'xlated' | 'x86' | 'size'> | { error: string };
}

export interface MemberCode {
  member: string;
  program: string;
  designs: DesignCodeEntry[];
}

export const CODE_WIDTH = MAIL_WIDTH;

export const isCall = (text: string): boolean => /\bcall\b/.test(text);

/** `+ ` a generated instruction, `* ` a generated call, else two spaces. */
const mark = (generated: boolean, text: string) => (generated ? (isCall(text) ? '* ' : '+ ') : '  ');

export function patchedLines(e: DesignCodeEntry): string[] {
  if ('error' in e.view) return [];
  const gen = new Set(e.generatedIdx);
  const w = String(e.view.xlated.at(-1)?.idx ?? 0).length;
  return e.view.xlated.map((l) => `${mark(gen.has(l.idx), l.text)}${String(l.idx).padStart(w)}: ${l.text}`);
}

export function x86Lines(e: DesignCodeEntry): string[] {
  if ('error' in e.view) return [];
  const gen = new Set(e.generatedIdx);
  return e.view.x86.map(
    (l) =>
      `${mark(l.insn !== null && gen.has(l.insn), l.text)}${l.offset.toString(16).padStart(3, '0')}: ${l.text}`,
  );
}

/** A line cut at `width` columns, the rest on indented continuation lines. */
function wrapAt(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - 6) out.push(`      ${line.slice(i, i + width - 6)}`);
  return out;
}

interface Listing {
  label: string;
  lines: string[];
}

interface Block {
  caption: string;
  lines: string[];
}

/** a, b and c */
const andList = (xs: string[]) =>
  xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : (xs[0] ?? '');

const same = (a: string[], b: string[]) => a.length === b.length && a.every((l, i) => l === b[i]);

/** One listing kind (patched or x86) of every design as captioned blocks within `width` columns. */
function blocks(what: string, ls: Listing[], width: number): Block[] {
  if (!ls.length) return [];
  if (ls.length > 1 && ls.every((l) => same(l.lines, ls[0]!.lines)))
    return [
      {
        caption: `${what}, identical in ${andList(ls.map((l) => l.label))}`,
        lines: ls[0]!.lines.flatMap((l) => wrapAt(l, width)),
      },
    ];
  const col = Math.max(...ls.flatMap((l) => [l.label.length, ...l.lines.map((x) => x.length)]));
  const sep = ' | ';
  if (ls.length > 1 && ls.length * col + (ls.length - 1) * sep.length <= width) {
    const rows = Math.max(...ls.map((l) => l.lines.length));
    const row = (cells: string[]) =>
      cells
        .map((c, i) => (i < cells.length - 1 ? c.padEnd(col) : c))
        .join(sep)
        .trimEnd();
    return [
      {
        caption: `${what}, side by side`,
        lines: [
          row(ls.map((l) => l.label)),
          row(ls.map(() => '-'.repeat(col))),
          ...Array.from({ length: rows }, (_, i) => row(ls.map((l) => l.lines[i] ?? ''))),
        ],
      },
    ];
  }
  return ls.map((l) => ({ caption: `${what}, ${l.label}`, lines: l.lines.flatMap((x) => wrapAt(x, width)) }));
}

const label = (e: DesignCodeEntry) => `${e.design} (profile ${e.profile})`;

interface MemberSection {
  title: string;
  errors: string[];
  blocks: Block[];
}

function memberSection(m: MemberCode, width: number): MemberSection {
  const ok = m.designs.filter((e) => !('error' in e.view));
  const bytes = (e: DesignCodeEntry) => ('error' in e.view ? undefined : e.view.size);
  const sizes = [...new Set(ok.map(bytes))];
  const x86What = sizes.length === 1 && sizes[0] !== undefined ? `x86-64 (${sizes[0]} bytes)` : 'x86-64';
  const x86Label = (e: DesignCodeEntry) =>
    sizes.length > 1 ? `${label(e)}, ${bytes(e) ?? '?'} bytes` : label(e);
  return {
    title: `${m.member} (program ${m.program})`,
    errors: m.designs.flatMap((e) => ('error' in e.view ? [`${label(e)}: ${e.view.error}`] : [])),
    blocks: [
      ...blocks(
        'patched program',
        ok.map((e) => ({ label: label(e), lines: patchedLines(e) })),
        width,
      ),
      ...blocks(
        x86What,
        ok.map((e) => ({ label: x86Label(e), lines: x86Lines(e) })),
        width,
      ),
    ],
  };
}

const LEGEND = 'marks an instruction the prologue or epilogue generated';

/** The members' code per design as Markdown (heading level `h`), every line ≤ 100 columns. */
export function designCodeMarkdown(members: MemberCode[], h = '###'): string {
  if (!members.length) return '';
  const out: string[] = [`${h} Each design's code`, '', `\`+\` ${LEGEND}, \`*\` a generated call.`, ''];
  for (const m of members) {
    const s = memberSection(m, CODE_WIDTH);
    out.push(wrapWords(`${h}# \`${m.member}\` (program \`${m.program}\`)`), '');
    for (const e of s.errors) out.push(wrapWords(`- _${e}_`), '');
    for (const b of s.blocks) out.push(wrapWords(`${b.caption}:`), '', '```', ...b.lines, '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The same as plain text for a mail body: listings indented by four spaces. */
export function designCodeText(members: MemberCode[]): string {
  if (!members.length) return '';
  const out: string[] = ["Each design's code", `(+ ${LEGEND}, * a generated call)`, ''];
  for (const m of members) {
    const s = memberSection(m, CODE_WIDTH - 4);
    out.push(s.title);
    for (const e of s.errors) out.push(wrapWords(`  ${e}`, '    '));
    for (const b of s.blocks)
      out.push(wrapWords(`  ${b.caption}:`, '    '), ...b.lines.map((l) => `    ${l}`.trimEnd()));
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
