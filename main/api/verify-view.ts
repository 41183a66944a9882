// The verifier view: kmodel's verifier (bpf_check model) on a program, beside what
// the real kernel answered when the program is a corpus case.

import type { BtfRegistry } from '../../core/btf/registry';
import { insnStarts } from '../../core/isa/cfg';
import { type DisasmResolver, formatInsn } from '../../core/isa/disasm';
import { insnsFromHex, insnsToHex } from '../../core/isa/encoding';
import type { Insn } from '../../core/isa/insn';
import { verifyOnly } from '../../core/kernel/prog-load';
import { type CorpusCase, caseToLoadAttr, runCase } from '../../core/verifier/corpus';
import {
  type MapDef,
  type ProgBtf,
  reasonLine,
  type VerifierProgressSink,
  type VerifyResult,
} from '../../core/verifier/index';
import { loadAttachOf } from './attach';
import { typedFields } from './typed-fields';
import type { PlainLine, VerifierAnswer, VerifyParams, VerifyView } from './types';

function listing(
  insns: readonly Insn[],
  calls: readonly { insn: number; symbol: string | null }[],
): PlainLine[] {
  const names = new Map(calls.map((c) => [c.insn, c.symbol]));
  const resolver: DisasmResolver = { callName: (_i, idx) => names.get(idx) ?? undefined };
  return insnStarts(insns).map((i) => ({ idx: i, text: formatInsn(insns, i, resolver) }));
}

// A second, level-2 pass only names fields; past this many processed insns it is not worth its time.
const FIELD_PASS_MAX_PROCESSED = 100_000;

/** Fields of typed memory accesses, from a level-2 log (run one if `vr` was level 1). */
function fieldsOf(
  insns: readonly Insn[],
  vr: VerifyResult,
  level2: () => VerifyResult,
  btf: BtfRegistry,
): { idx: number; field: string }[] {
  if ((vr.processedInsns ?? 0) > FIELD_PASS_MAX_PROCESSED) return [];
  const log = /^\d+: R\d/m.test(vr.log) ? vr.log : level2().log;
  return [...typedFields(insns, log, btf.vmlinux.btf)].map(([idx, field]) => ({ idx, field }));
}

/** Field names of a corpus case's typed accesses, from a level-2 run of kmodel's verifier (the JIT view's listing). */
export function corpusCaseFields(c: CorpusCase, btf: BtfRegistry): { idx: number; field: string }[] {
  // The kernel's count says what the pass would cost before running it.
  if ((c.kernel.processed_insns ?? Number.POSITIVE_INFINITY) > FIELD_PASS_MAX_PROCESSED) return [];
  const attr = caseToLoadAttr(c, 2);
  const vr = verifyOnly(attr, { btf });
  return fieldsOf(attr.insns, vr, () => vr, btf);
}

export function verifyView(
  p: VerifyParams,
  btf: BtfRegistry,
  corpusCase?: CorpusCase,
  /** An object's program: the maps it references (BPF_PSEUDO_MAP_IDX order). */
  maps?: MapDef[],
  /** An object's program: its BTF and func_info. */
  progBtf?: ProgBtf,
  /** Told how far the (first) verification is while it runs. */
  progress?: VerifierProgressSink,
): VerifyView {
  let vr: VerifyResult;
  let level2: () => VerifyResult;
  let kernel: VerifierAnswer | undefined;
  let insns: Insn[];
  let comparison: VerifyView['comparison'];
  if (corpusCase) {
    const run = runCase(corpusCase, progress ? { btf, progress } : { btf });
    vr = run.vr;
    level2 = () => verifyOnly(caseToLoadAttr(corpusCase, 2), { btf });
    insns = insnsFromHex(corpusCase.insns);
    const k = corpusCase.kernel;
    const kx = k.xlated ? insnsFromHex(k.xlated) : null;
    kernel = {
      verdict: k.verdict,
      errno: k.errno,
      error: k.verdict === 'reject' ? reasonLine(k.log) : null,
      log: k.log,
      processedInsns: k.processed_insns,
      xlated: kx ? listing(kx, k.xlated_calls ?? []) : null,
      xlatedHex: k.xlated,
    };
    comparison = {
      verdict: run.cmp.kernelVerdict === run.cmp.modelVerdict,
      reason: run.cmp.reasonMatch,
      processed: run.cmp.processedMatch,
      xlated: run.cmp.xlatedMatch,
    };
  } else {
    insns = insnsFromHex(p.hex ?? '');
    const attr = {
      insns,
      progType: p.progType ?? 'socket_filter',
      attach: p.attach ? loadAttachOf(p.attach) : null,
      ...(maps?.length ? { maps } : {}),
      ...(progBtf ? { progBtf } : {}),
    };
    vr = verifyOnly({ ...attr, logLevel: p.logLevel ?? 1 }, progress ? { btf, progress } : { btf });
    level2 = () => verifyOnly({ ...attr, logLevel: 2 }, { btf });
  }
  const fields = fieldsOf(insns, vr, level2, btf);
  return {
    id: corpusCase?.id ?? null,
    bpf: listing(insns, []),
    model: {
      verdict: vr.verdict,
      errno: vr.errno,
      error: vr.error,
      log: vr.log,
      processedInsns: vr.processedInsns,
      xlated: vr.xlated ? listing(vr.xlated, vr.xlatedCalls) : null,
      xlatedHex: vr.xlated ? insnsToHex(vr.xlated) : null,
    },
    kernel,
    comparison,
    ...(fields.length ? { fields } : {}),
  };
}
