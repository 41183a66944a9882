// What the state pane shows for one insn (and `kmodel verify --state-at N` prints): every visit
// with its states, where each value it reads came from, and a call's prototype with argument names.

import { typeString } from '../../btf/layout';
import type { BtfRegistry } from '../../btf/registry';
import { formatInsn } from '../../isa/disasm';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL } from '../../isa/opcodes';
import { helperProtoById } from '../../kernel/helpers';
import type { InsnVisit } from './state-recorder';
import type { VerifierDebugRun } from './states-at';
import { rejectionChain, type UseDefStep, useDef } from './use-def';

export interface CallSignature {
  kind: 'helper' | 'kfunc';
  name: string;
  /** Which register carries which argument. */
  args: { reg: number; name: string; type: string }[];
  ret: string;
}

export interface PaneVisit extends InsnVisit {
  /** For each register/slot the insn reads (`R2`, `fp-8`): the insns that produced it, nearest first. */
  producers: Record<string, number[]>;
}

export interface StatePane {
  insn: number;
  text: string;
  call: CallSignature | null;
  visits: PaneVisit[];
  /** The walk went past the recorder's limit: later visits are missing. */
  truncated: boolean;
  /** The program's rejection: the failing register and the chain that made it what it is. */
  rejection: { insn: number; reg: number; chain: UseDefStep[] } | null;
}

function paramsOf(btf: BtfRegistry, name: string): { name: string; type: string }[] | null {
  const b = btf.vmlinux.btf;
  const id = b.findByName(name, 'FUNC');
  if (id === undefined) return null;
  const fn = b.type(id);
  if (fn.kind !== 'FUNC') return null;
  const proto = b.type(fn.type);
  if (proto.kind !== 'FUNC_PROTO') return null;
  return proto.params.map((p) => ({ name: p.name, type: typeString(b, p.type) }));
}

/** The called helper's or kfunc's prototype; helpers take argument names from their BPF_CALL_N wrapper in BTF. */
export function callSignature(run: VerifierDebugRun, idx: number, btf: BtfRegistry): CallSignature | null {
  const insn = run.insns[idx];
  if (!insn || insn.code !== 0x85 || insn.src === BPF_PSEUDO_CALL) return null;
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
    let fn: ReturnType<typeof btf.vmlinux.btf.type>;
    try {
      fn = btf.vmlinux.btf.type(insn.imm);
    } catch {
      return null;
    }
    if (fn.kind !== 'FUNC') return null;
    const params = paramsOf(btf, fn.name) ?? [];
    const proto = btf.vmlinux.btf.type(fn.type);
    const ret = proto.kind === 'FUNC_PROTO' ? typeString(btf.vmlinux.btf, proto.ret) : '?';
    return { kind: 'kfunc', name: fn.name, args: params.map((p, i) => ({ reg: i + 1, ...p })), ret };
  }
  const proto = helperProtoById(insn.imm);
  if (!proto) return null;
  const names = paramsOf(btf, proto.name) ?? [];
  return {
    kind: 'helper',
    name: proto.name,
    args: proto.args.map((type, i) => ({ reg: i + 1, name: names[i]?.name ?? `arg${i + 1}`, type })),
    ret: proto.ret,
  };
}

const slotName = (spi: number): string => `fp${(-spi - 1) * 8}`;

export function statePane(run: VerifierDebugRun, idx: number, btf: BtfRegistry): StatePane {
  const visits = run.visits
    .filter((v) => v.insn === idx)
    .map((v): PaneVisit => {
      const producers: Record<string, number[]> = {};
      for (const r of v.reads.regs) producers[`R${r}`] = useDef(run, v.visit, { reg: r }).map((s) => s.insn);
      for (const s of v.reads.slots)
        producers[slotName(s)] = useDef(run, v.visit, { slot: s }).map((x) => x.insn);
      return { ...v, producers };
    });
  return {
    insn: idx,
    text: run.insns[idx] ? formatInsn(run.insns, idx, { allowPtrLeaks: true }) : '',
    call: callSignature(run, idx, btf),
    visits,
    truncated: run.truncated,
    rejection: rejectionChain(run),
  };
}
