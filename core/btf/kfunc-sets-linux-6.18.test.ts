import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from './btf';
import {
  type KfuncProg,
  LINUX_6_18_KFUNC_EXCLUSIONS,
  LINUX_6_18_KFUNC_SETS,
  registerLinux618KfuncSets,
} from './kfunc-sets-linux-6.18';
import {
  discoverKfuncs,
  KF_ARENA_RET,
  KF_RELEASE,
  KF_SLEEPABLE,
  KF_TRUSTED_ARGS,
  KfuncSetRegistry,
} from './kfuncs';
import { BtfRegistry } from './registry';

const root = join(__dirname, '../..');
const btf = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const reg = new BtfRegistry(btf);
const kreg = new KfuncSetRegistry<KfuncProg>(reg);
const { missing, sets } = registerLinux618KfuncSets(kreg);
const tagged = discoverKfuncs(btf);
const id = (name: string) => btf.findByName(name, 'FUNC')!;

describe('Linux 6.18 kfunc sets against the reference BTF', () => {
  it('every bpf_kfunc-tagged FUNC is in a registered set, or excluded with a reason', () => {
    const excluded = new Map(LINUX_6_18_KFUNC_EXCLUSIONS.map((e) => [e.name, e.reason]));
    const unregistered = tagged.filter((k) => kreg.hooksOf(1, k.id).length === 0).map((k) => k.name);
    expect(unregistered.filter((n) => !excluded.has(n))).toEqual([]);
    // An exclusion that is registered after all, or no longer tagged, is stale.
    const taggedNames = new Set(tagged.map((k) => k.name));
    for (const [name, reason] of excluded) {
      expect(taggedNames.has(name), `${name} is not tagged`).toBe(true);
      expect(unregistered, `${name} is registered`).toContain(name);
      expect(reason.length).toBeGreaterThan(0);
    }
    expect(tagged.length).toBeGreaterThan(200);
  });

  it('registers nothing pahole did not tag: the sets are the tagged FUNCs, no more', () => {
    // pahole tags the members of the kernel's kfunc sets, so an untagged member means a set
    // entry the reference kernel does not have (a config that is off, a later release).
    const taggedIds = new Set(tagged.map((k) => k.id));
    const untagged: string[] = [];
    for (const set of sets)
      for (const p of set.pairs()) if (!taggedIds.has(p.id)) untagged.push(btf.nameOf(p.id));
    expect(untagged).toEqual([]);
    // Only crash_kexec is compiled out (no CONFIG_CRASH_DUMP).
    expect(missing).toEqual(['generic_btf_ids: crash_kexec']);
  });

  it('names each set once, with a source file, and no kfunc twice within a set', () => {
    const names = LINUX_6_18_KFUNC_SETS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of LINUX_6_18_KFUNC_SETS) {
      expect(s.source).toMatch(/^[a-z]+\/[\w/.-]+\.c$/);
      expect(s.progTypes.length > 0 || s.fmodret).toBeTruthy();
      const fns = s.kfuncs.map(([f]) => f);
      expect(new Set(fns).size, s.name).toBe(fns.length);
    }
  });

  it('looks kfuncs up per program type like btf_kfunc_id_set_contains', () => {
    const can = (progType: KfuncProg['progType'], fn: string, expectedAttachType?: string) => {
      const prog: KfuncProg = { progType, ...(expectedAttachType ? { expectedAttachType } : {}) };
      return kreg.kfuncIdSetContains(progType, 1, id(fn), prog);
    };
    // cpumask: tracing, struct_ops and syscall programs, not tc.
    expect(can('struct_ops', 'bpf_cpumask_release')).toBe(KF_RELEASE);
    expect(can('lsm', 'bpf_cpumask_create')).toBeDefined();
    expect(can('sched_cls', 'bpf_cpumask_create')).toBeUndefined();
    // arena kfuncs are COMMON: any program type, arena flags kept.
    expect((can('socket_filter', 'bpf_arena_alloc_pages') ?? 0) & KF_ARENA_RET).toBe(KF_ARENA_RET);
    // crypto: contexts are created in syscall programs and used from tc/xdp.
    expect(can('syscall', 'bpf_crypto_ctx_create')! & KF_SLEEPABLE).toBe(KF_SLEEPABLE);
    expect(can('xdp', 'bpf_crypto_ctx_create')).toBeUndefined();
    expect(can('xdp', 'bpf_crypto_encrypt')).toBeDefined();
    // Keys joined generic_btf_ids in 6.18: tc may look one up, a socket filter may not.
    expect(can('sched_cls', 'bpf_lookup_system_key')).toBeDefined();
    expect(can('socket_filter', 'bpf_lookup_system_key')).toBeUndefined();
  });

  it('applies the set filters: fs kfuncs to LSM, bpf_sock_destroy to iterators, sessions to kprobe sessions', () => {
    const can = (progType: KfuncProg['progType'], fn: string, expectedAttachType?: string) =>
      kreg.kfuncIdSetContains(progType, 1, id(fn), {
        progType,
        ...(expectedAttachType ? { expectedAttachType } : {}),
      });
    // Same TRACING hook, different program types.
    expect(can('lsm', 'bpf_get_file_xattr')).toBe(KF_SLEEPABLE | KF_TRUSTED_ARGS);
    expect(can('tracing', 'bpf_get_file_xattr')).toBeUndefined();
    expect(can('tracing', 'bpf_sock_destroy', 'trace_iter')).toBe(KF_TRUSTED_ARGS);
    expect(can('tracing', 'bpf_sock_destroy', 'trace_fentry')).toBeUndefined();
    expect(can('kprobe', 'bpf_session_cookie', 'trace_kprobe_session')).toBe(0);
    expect(can('kprobe', 'bpf_session_cookie', 'trace_uprobe_session')).toBe(0);
    expect(can('kprobe', 'bpf_session_cookie', 'trace_kprobe_multi')).toBeUndefined();
    // A filter answers only for its own set: other tracing kfuncs stay callable from fentry.
    expect(can('tracing', 'css_rstat_flush', 'trace_fentry')).toBe(KF_SLEEPABLE);
    // Without a program (listing), filters do not apply.
    expect(kreg.kfuncIdSetContains('tracing', 1, id('bpf_sock_destroy'))).toBe(KF_TRUSTED_ARGS);
  });

  it('keeps fmod_ret targets out of every program type', () => {
    const fentry = id('bpf_fentry_test1');
    expect(kreg.hooksOf(1, fentry)).toEqual(['FMODRET']);
    expect(kreg.kfuncIdSetContains('FMODRET', 1, fentry)).toBe(KF_SLEEPABLE);
    expect(kreg.kfuncIdSetContains('tracing', 1, fentry)).toBeUndefined();
    expect(kreg.kfuncIdSetContains('tracing', 1, id('bpf_modify_return_test'))).toBeUndefined();
  });
});
