// Names the struct field a memory access reaches where the verifier typed its base
// register (`r0 = *(u32 *)(r1 +1444)` with R1=trusted_ptr_tcp_sock → tcp_sock.snd_cwnd).
// The types come from a level-2 verifier log (the register states it prints before and
// after each insn, as the kernel's does); the field from the BTF layout at that offset.

import type { Btf } from '../../core/btf/btf';
import { sizeOf, skipModifiers } from '../../core/btf/layout';
import type { Insn } from '../../core/isa/insn';
import { BPF_CLASS, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_ST, BPF_STX } from '../../core/isa/opcodes';

/** A register state's pointee struct: `trusted_ptr_tcp_sock(...)`, `rcu_ptr_or_null_sock(...)` → the name. */
const PTR = /^(?:[a-z]+_)*?ptr_(?:or_null_)?([A-Za-z_]\w*)$/;
const REG = /\bR(\d+)(?:_[a-zA-Z]+)?=([A-Za-z_][\w-]*)/g;
const INSN = /^(\d+): \([0-9a-f]{2}\)/;
const STATE = /^(\d+): R\d/;

/** Per insn, the struct each register points to before it runs, where every visit agrees. */
export function pointerTypesByInsn(log: string): Map<number, Map<number, string>> {
  const regs = new Map<number, string | null>();
  const seen = new Map<number, Map<number, string | null>>();
  const note = (text: string) => {
    for (const m of text.matchAll(REG)) regs.set(Number(m[1]), PTR.exec(m[2]!)?.[1] ?? null);
  };
  for (const line of log.split('\n')) {
    if (/^from \d+ to \d+:/.test(line)) {
      // A branch the verifier returns to: its state follows on this line.
      regs.clear();
      note(line.slice(line.indexOf(':') + 1));
      continue;
    }
    const state = STATE.exec(line);
    if (state && !INSN.test(line)) {
      regs.clear();
      note(line.slice(state[0].length - 2));
      continue;
    }
    const insn = INSN.exec(line);
    if (!insn) continue;
    const idx = Number(insn[1]);
    const at = seen.get(idx) ?? new Map<number, string | null>();
    seen.set(idx, at);
    for (const [r, t] of regs) {
      // Paths that disagree leave the register untyped here.
      if (!at.has(r)) at.set(r, t);
      else if (at.get(r) !== t) at.set(r, null);
    }
    const after = line.indexOf(';');
    if (after >= 0) note(line.slice(after + 1));
  }
  const out = new Map<number, Map<number, string>>();
  for (const [idx, at] of seen) {
    const typed = new Map([...at].filter((e): e is [number, string] => e[1] !== null));
    if (typed.size) out.set(idx, typed);
  }
  return out;
}

/** `tcp_sock.snd_cwnd`, `sock.__sk_common.skc_family`, `x.arr[2]`: the member at byte `off` of struct `name`. */
export function fieldPathAt(btf: Btf, name: string, off: number): string | undefined {
  let id = btf.findByName(name, 'STRUCT') ?? btf.findByName(name, 'UNION');
  if (id === undefined) return undefined;
  let path = name;
  let o = off;
  for (let depth = 0; depth < 16; depth++) {
    const t = btf.type(skipModifiers(btf, id));
    if (t.kind === 'ARRAY') {
      const el = sizeOf(btf, t.type);
      if (!el) return path;
      const i = Math.floor(o / el);
      path += `[${i}]`;
      o -= i * el;
      id = t.type;
      continue;
    }
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return o === 0 ? path : `${path}+${o}`;
    const m = t.members.find((x) => {
      const start = Math.floor(x.bitOffset / 8);
      return o >= start && o < start + Math.max(sizeOf(btf, x.type), 1);
    });
    if (!m) return `${path}+${o}`;
    o -= Math.floor(m.bitOffset / 8);
    if (m.name) path += `.${m.name}`;
    id = m.type;
  }
  return path;
}

/** insn index → the field its memory access names, for loads and stores through a typed pointer. */
export function typedFields(insns: readonly Insn[], log: string, btf: Btf): Map<number, string> {
  const types = pointerTypesByInsn(log);
  const out = new Map<number, string>();
  for (const [idx, regs] of types) {
    const x = insns[idx];
    if (!x) continue;
    const cls = BPF_CLASS(x.code);
    const mode = x.code & 0xe0;
    let base: number | undefined;
    if (cls === BPF_LDX && (mode === BPF_MEM || mode === BPF_MEMSX)) base = x.src;
    else if ((cls === BPF_STX || cls === BPF_ST) && mode === BPF_MEM) base = x.dst;
    const struct = base === undefined ? undefined : regs.get(base);
    const field = struct && fieldPathAt(btf, struct, x.off);
    if (field) out.set(idx, field);
  }
  return out;
}
