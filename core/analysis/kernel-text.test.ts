// Kernel-text bytes against the extents saved from the reference kernel's /proc/kallsyms.
import { describe, expect, it } from 'vitest';
import { KERNEL_TEXT_LINUX_6_18 as DATA } from '../kernel/text-linux-6.18';
import {
  forwarderEstimate,
  kernelTextTotal,
  kfuncRouteItems,
  median,
  symbolTextBytes,
  wrapperItem,
} from './kernel-text';

describe('kernel text bytes (x86-64 6.18 kallsyms extents)', () => {
  it('charges a function its extent plus the 16-byte __pfx_ padding in front of it', () => {
    const [extent, pfx] = DATA.symbols.bpf_map_lookup_elem!;
    expect(pfx).toBe(16);
    expect(symbolTextBytes('bpf_map_lookup_elem')).toBe(extent! + 16);
    // Extents run from one symbol to the next, which is at least 16-byte aligned (FUNCTION_ALIGNMENT).
    for (const [n, [e]] of Object.entries(DATA.symbols)) expect(e! % 16, n).toBe(0);
    expect(symbolTextBytes('no_such_function')).toBeUndefined();
  });

  it('estimates a new wrapper as the median of the measured forwarders of its arity', () => {
    for (const [arity, names] of Object.entries(DATA.forwarders)) {
      const sizes = names.map((n) => DATA.symbols[n]!).map(([e, p]) => e! + p!);
      const sorted = [...sizes].sort((a, b) => a - b);
      const est = forwarderEstimate(Number(arity))!;
      expect(est.from).toEqual(names);
      expect(est.bytes).toBeGreaterThanOrEqual(sorted[0]!);
      expect(est.bytes).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
      expect(est.bytes).toBe(median(sizes));
    }
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(forwarderEstimate(9)).toBeUndefined();
  });

  it('counts as forwarders only wrappers whose disassembled code makes one call or jmp and nothing else', () => {
    const names = Object.values(DATA.forwarders).flat();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      const insns = DATA.shapes[n]!.split('; ');
      expect(
        insns.filter((i) => /^(call|jmp) /.test(i)),
        n,
      ).toHaveLength(1);
      // No stack frame, no stores, no conditional branches.
      expect(
        insns.filter((i) => /^(push|pop|j(?!mp)\w+) |^\w+ (\w+ ptr )?\[/.test(i)),
        n,
      ).toEqual([]);
    }
    expect(DATA.shapes.bpf_tcp_send_ack).toContain('call __tcp_send_ack');
  });

  it('measures a wrapper that 6.18 has as its own function, estimates one it lacks', () => {
    const m = wrapperItem({ name: 'bpf_tcp_send_ack', wraps: '__tcp_send_ack', args: 2 });
    expect([m.source, m.bytes]).toEqual(['measured 6.18', symbolTextBytes('bpf_tcp_send_ack')]);
    // Same name as the wrapped function: the symbol (if any) is the body, not a wrapper.
    const e = wrapperItem({ name: 'bpf_qdisc_init_prologue', wraps: 'bpf_qdisc_init_prologue', args: 2 });
    expect([e.source, e.bytes]).toEqual(['estimate', forwarderEstimate(2)!.bytes]);
  });

  it('charges the kfunc route the verifier functions only it needs, once per kernel', () => {
    const items = kfuncRouteItems();
    expect(items.map((i) => [i.symbol, i.scope, i.source])).toEqual([
      ['add_kfunc_in_insns', 'kernel', 'measured 6.18'],
      [undefined, 'kernel', 'model'],
    ]);
    const t = kernelTextTotal(items);
    expect([t.total, t.unmeasured]).toEqual([symbolTextBytes('add_kfunc_in_insns'), 1]);
  });

  it('sums what is known and counts what is not', () => {
    const t = kernelTextTotal([
      { what: 'a', bytes: 48, source: 'estimate', scope: 'target' },
      { what: 'b', bytes: null, source: 'model', scope: 'kernel' },
    ]);
    expect([t.total, t.unmeasured]).toEqual([48, 1]);
    expect(kernelTextTotal([{ what: 'b', bytes: null, source: 'model', scope: 'kernel' }]).total).toBeNull();
    expect(kernelTextTotal([]).total).toBe(0);
  });
});
