// Kernel text in bytes a call design adds beyond the called functions' bodies, from the
// extents measured in /proc/kallsyms of the reference kernel (core/kernel/text-linux-6.18.ts).
// Every function is charged extent + its 16-byte __pfx_ call padding: what it adds to .text.
import { KERNEL_TEXT_LINUX_6_18 as DATA, type KernelTextData } from '../kernel/text-linux-6.18';

export interface KernelTextItem {
  what: string;
  symbol?: string;
  bytes: number | null;
  /** 'measured 6.18': kallsyms extent; 'estimate': from measured look-alikes; 'model': no symbol to measure. */
  source: 'measured 6.18' | 'estimate' | 'model';
  /** 'kernel': once per kernel, shared by every subsystem; 'target': once per call target. */
  scope: 'kernel' | 'target';
}

export interface KernelTextBytes {
  /** Sum of the items with bytes (null when none has); unmeasured items are counted apart. */
  total: number | null;
  unmeasured: number;
  items: KernelTextItem[];
}

/** extent + __pfx_ padding of a measured symbol, or undefined when it is not in the data. */
export function symbolTextBytes(name: string, data: KernelTextData = DATA): number | undefined {
  const e = data.symbols[name];
  return e ? e[0]! + e[1]! : undefined;
}

/** Median (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Estimated bytes of a new BPF_CALL_N forwarder: the median of the measured ones of that arity. */
export function forwarderEstimate(
  arity: number,
  data: KernelTextData = DATA,
): { bytes: number; from: string[] } | undefined {
  const from = (data.forwarders[arity] ?? []).filter((n) => symbolTextBytes(n, data) !== undefined);
  if (from.length === 0) return undefined;
  return { bytes: median(from.map((n) => symbolTextBytes(n, data)!)), from };
}

/**
 * The verifier functions only the kfunc route for generated insns needs (once per kernel), and
 * their call sites in convert_ctx_accesses (inlined into bpf_check in 6.18: no symbol to measure).
 */
export function kfuncRouteItems(data: KernelTextData = DATA): KernelTextItem[] {
  const items: KernelTextItem[] = data.kfuncRoute.map((n) => ({
    what: `verifier: ${n}() registers kfunc descriptors for generated insns (shared by all subsystems)`,
    symbol: n,
    bytes: symbolTextBytes(n, data) ?? null,
    source: symbolTextBytes(n, data) === undefined ? 'model' : 'measured 6.18',
    scope: 'kernel',
  }));
  items.push({
    what: 'verifier: the prologue/epilogue call sites of add_kfunc_in_insns in convert_ctx_accesses (inline)',
    bytes: null,
    source: 'model',
    scope: 'kernel',
  });
  return items;
}

/** The BPF_CALL_N wrapper `name` around `wraps`: measured when 6.18 has it as a separate function, else estimated. */
export function wrapperItem(w: { name: string; wraps: string; args: number }, data = DATA): KernelTextItem {
  const measured = w.name !== w.wraps ? symbolTextBytes(w.name, data) : undefined;
  if (measured !== undefined) {
    return {
      what: `BPF_CALL_${w.args}(${w.name}) around ${w.wraps}`,
      symbol: w.name,
      bytes: measured,
      source: 'measured 6.18',
      scope: 'target',
    };
  }
  const est = forwarderEstimate(w.args, data);
  return {
    what: est
      ? `BPF_CALL_${w.args}(${w.name}) forwarding to ${w.wraps}: median of the measured BPF_CALL_${w.args} forwarders (${est.from.join(', ')})`
      : `BPF_CALL_${w.args}(${w.name}) around ${w.wraps}: no measured BPF_CALL_${w.args} forwarder`,
    symbol: w.name,
    bytes: est?.bytes ?? null,
    source: 'estimate',
    scope: 'target',
  };
}

/** The finalized_call marking (bpf-next af46ae41da7c) is inline code in existing functions: no symbol. */
export const finalizedCallItem = (): KernelTextItem => ({
  what: 'verifier: finalized_call marking in convert_ctx_accesses/do_misc_fixups (inline, not in 6.18)',
  bytes: null,
  source: 'model',
  scope: 'kernel',
});

export function kernelTextTotal(items: KernelTextItem[]): KernelTextBytes {
  const known = items.filter((i) => i.bytes !== null);
  return {
    total: known.length || items.length === 0 ? known.reduce((s, i) => s + i.bytes!, 0) : null,
    unmeasured: items.length - known.length,
    items,
  };
}

/** One table cell: "total = parts", estimates marked, unmeasured parts as '?'. */
export function formatKernelTextBytes(k: KernelTextBytes): string {
  if (k.items.length === 0) return '0';
  const part = (i: KernelTextItem) =>
    `${i.bytes ?? '?'} ${i.symbol ?? (i.what.includes('finalized_call') ? 'finalized_call' : 'call sites')}${i.source === 'estimate' ? ' (est.)' : ''}${
      i.scope === 'kernel' ? ' (per kernel)' : ''
    }`;
  const total = `${k.total ?? '?'}${k.unmeasured && k.total !== null ? ' + ?' : ''}`;
  return `${total} = ${k.items.map(part).join(' + ')}`;
}
