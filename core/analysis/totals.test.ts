// Subsystem totals: each called kernel function counted once, per-kernel costs apart from
// per-subsystem and per-member ones, sums that match the members' own measurements.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from '../model/check';
import { compareDesigns, type ModelComparison } from './compare';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const registry = new BtfRegistry(base);
const load = (path: string) => checkModel(path, readFileSync(join(root, path), 'utf8'), { btf: registry });

const totals = (c: ModelComparison, design: string) => c.totals.find((t) => t.design === design)!;
const variants = (c: ModelComparison, design: string) =>
  c.members.map((m) => m.variants.find((v) => v.design === design)!);

describe('designTotals on qdisc (reset and destroy share one epilogue function)', () => {
  const c = compareDesigns(load('models/qdisc.yaml'), base, { profile: 'auto' });
  const k = totals(c, 'kfunc');
  const w = totals(c, 'wrapper');

  it('lists each called function once', () => {
    expect(c.members.map((m) => m.member)).toEqual(['init', 'reset', 'destroy']);
    expect(k.functions).toEqual(['bpf_qdisc_init_prologue', 'bpf_qdisc_reset_destroy_epilogue']);
    expect(w.functions).toEqual(k.functions);
    expect([k.perSubsystem.idSetEntries, k.perSubsystem.idListEntries]).toEqual([2, 2]);
  });

  it('charges BTF per function, not per member', () => {
    const [init, reset, destroy] = variants(c, 'kfunc');
    // destroy repeats reset's function: summing members would count its BTF twice.
    expect(destroy!.btf.requiredBytes).toBe(reset!.btf.requiredBytes);
    expect(k.perSubsystem.btfRequiredBytes).toBe(init!.btf.requiredBytes + reset!.btf.requiredBytes);
    const [wi, wr] = variants(c, 'wrapper');
    expect(w.perSubsystem.btfIncidentalBytes).toBe(wi!.btf.incidentalBytes + wr!.btf.incidentalBytes);
    expect([k.perSubsystem.btfIncidentalBytes, w.perSubsystem.btfRequiredBytes]).toEqual([0, 0]);
  });

  it('keeps add_kfunc_in_insns (once per kernel) out of the per-subsystem kernel text', () => {
    expect(k.perSubsystem.kernelText.items).toEqual([]);
    const route = k.perKernel.kernelText.items.filter((i) => i.symbol === 'add_kfunc_in_insns');
    expect(route).toHaveLength(1);
    expect(k.perKernel.kernelText.total).toBe(route[0]!.bytes);
    // One wrapper per function (2), not per member (3); finalized_call once per kernel.
    expect(w.perSubsystem.kernelText.items.map((i) => i.symbol)).toEqual(w.functions);
    const [wi, wr] = variants(c, 'wrapper');
    const wrapperBytes = (v: typeof wi) => v!.kernelTextBytes.items.find((i) => i.scope === 'target')!.bytes!;
    expect(w.perSubsystem.kernelText.total).toBe(wrapperBytes(wi) + wrapperBytes(wr));
    expect(w.perKernel.kernelText.items.map((i) => i.scope)).toEqual(['kernel']);
  });

  it('sums what every member program pays', () => {
    for (const [t, vs] of [
      [k, variants(c, 'kfunc')],
      [w, variants(c, 'wrapper')],
    ] as const) {
      expect(t.perMember.insnsAdded).toBe(vs.reduce((s, v) => s + v.insnsAdded!, 0));
      expect(t.perMember.jitBytesGenerated).toBe(vs.reduce((s, v) => s + v.jitBytesGenerated!, 0));
      expect(t.perMember.kfuncDescriptors).toBe(vs.reduce((s, v) => s + v.verifier.kfuncDescriptors!, 0));
    }
    expect(k.perMember.kfuncDescriptors).toBe(3);
    expect(w.perMember.kfuncDescriptors).toBe(0);
  });

  it('gives no numbers for a design the model does not declare', () => {
    const h = totals(c, 'helper');
    expect(h.status).toBe('not-declared');
    expect(h.perMember.insnsAdded).toBeNull();
    expect(h.perSubsystem.btfRequiredBytes).toBeNull();
    expect(h.perSubsystem.kernelText.items).toEqual([]);
  });
});

describe('designTotals on a model written for the test', () => {
  const c = compareDesigns(load('test/fixtures/model/shared-epilogue.yaml'), base, { profile: 'auto' });

  it('counts the shared epilogue function once and the module reference per design', () => {
    const k = totals(c, 'kfunc');
    const w = totals(c, 'wrapper');
    expect([k.status, w.status]).toEqual(['ok', 'ok']);
    expect(k.functions).toEqual(['demo_start_prologue', 'demo_stop_epilogue']);
    expect(w.perSubsystem.kernelText.items).toHaveLength(2);
    expect(k.programToModule).toEqual(['demo_mod']);
    expect(w.programToModule).toEqual([]);
    expect(k.mapToModule).toBe('demo_mod');
  });
});
