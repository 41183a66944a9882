// The Verifier view's debugger: the states at an insn (every explored path), and a kernel log
// read back into its insn stream and states — with kmodel's own log beside it when the program is known.
import type { BtfRegistry } from '../../core/btf/registry';
import { insnStarts } from '../../core/isa/cfg';
import { formatInsn } from '../../core/isa/disasm';
import { insnsFromHex } from '../../core/isa/encoding';
import { verifyOnly } from '../../core/kernel/prog-load';
import { type CorpusCase, caseToLoadAttr, firstLineDiff } from '../../core/verifier/corpus';
import { parseVerifierLog } from '../../core/verifier/debug/kernel-log';
import { statePane } from '../../core/verifier/debug/state-pane';
import { type VerifierDebugRun, verifierDebugRun } from '../../core/verifier/debug/states-at';
import type { LoadAttr } from '../../core/verifier/index';
import { loadAttachOf } from './attach';
import type {
  KernelLogParams,
  KernelLogView,
  PlainLine,
  VerifierStatesView,
  VerifyStatesParams,
} from './types';

function loadAttrOf(p: VerifyStatesParams | KernelLogParams, corpusCase?: CorpusCase): LoadAttr {
  if (corpusCase) return caseToLoadAttr(corpusCase, 2);
  return {
    insns: insnsFromHex(p.hex ?? ''),
    progType: p.progType ?? 'socket_filter',
    attach: p.attach ? loadAttachOf(p.attach) : null,
    logLevel: 2,
  };
}

// Clicking through one program's insns re-asks for the same run: keep the last one.
let last: { key: string; run: VerifierDebugRun; insns: PlainLine[] } | null = null;

function debugRun(
  p: VerifyStatesParams,
  btf: BtfRegistry,
  corpusCase?: CorpusCase,
): { run: VerifierDebugRun; insns: PlainLine[] } {
  const key = JSON.stringify([corpusCase?.id ?? null, p.hex ?? null, p.progType ?? null, p.attach ?? null]);
  if (last?.key !== key) {
    const run = verifierDebugRun(loadAttrOf(p, corpusCase), { btf });
    last = { key, run, insns: listing(run) };
  }
  return last;
}

/** The insns as the verifier log prints them (maps as <map:N>), else as disassembled (insns no path reached). */
function listing(run: VerifierDebugRun): PlainLine[] {
  const logged = new Map(parseVerifierLog(run.result.log).stream.map((s) => [s.insn, s.text]));
  return insnStarts(run.insns).map((i) => ({
    idx: i,
    text: logged.get(i) ?? formatInsn(run.insns, i, { allowPtrLeaks: true }),
  }));
}

export function verifierStatesView(
  p: VerifyStatesParams,
  btf: BtfRegistry,
  corpusCase?: CorpusCase,
): VerifierStatesView {
  const { run, insns } = debugRun(p, btf, corpusCase);
  const visits = new Array<number>(run.insns.length).fill(0);
  let paths = 0;
  for (const v of run.visits) {
    visits[v.insn]!++;
    if (v.path + 1 > paths) paths = v.path + 1;
  }
  const rejected = run.visits.find((v) => v.rejected !== null);
  const insn = p.insn ?? rejected?.insn ?? 0;
  if (insn < 0 || insn >= run.insns.length)
    throw new Error(`no insn ${insn} (the program has ${run.insns.length})`);
  return {
    insns,
    visitCounts: visits,
    paths,
    verdict: run.result.verdict,
    error: run.result.error,
    pane: statePane(run, insn, btf),
  };
}

export function kernelLogView(p: KernelLogParams, btf: BtfRegistry, corpusCase?: CorpusCase): KernelLogView {
  const parsed = parseVerifierLog(p.log);
  if (!corpusCase && p.hex === undefined) return { parsed, model: null };
  // kmodel's log at the level the pasted one was written at (only level 2 keeps `from X to Y:` paths).
  const level = p.logLevel ?? (/^from \d+ to \d+: /m.test(p.log) ? 2 : 1);
  const vr = verifyOnly({ ...loadAttrOf(p, corpusCase), logLevel: level }, { btf });
  const diff = firstLineDiff(p.log, vr.log);
  return { parsed, model: { log: vr.log, level, firstDiff: diff ?? null } };
}
