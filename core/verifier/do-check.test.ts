import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { type CorpusCase, caseToLoadAttr } from './corpus';
import { bpfCheck, type LoadAttr, type MapDef } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
const check = (src: string, progType: LoadAttr['progType'] = 'socket_filter', maps: MapDef[] = []) =>
  bpfCheck({ insns: assemble(src), progType, maps, logLevel: 1 }, { btf });
const arr: MapDef = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 };
const hash: MapDef = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 };

describe('do_check rules (accepted and rejected pairs)', () => {
  it('R0 must be initialized at exit', () => {
    expect(check('r0 = 0\nexit').verdict).toBe('accept');
    const r = check('exit');
    expect([r.verdict, r.errno, r.error]).toEqual(['reject', 13, 'R0 !read_ok']);
  });

  it('a 32-bit cmpxchg result is zero-extended only when read whole before a redefinition', () => {
    const prog = (use: string) =>
      `r0 = 0\n*(u64 *)(r10 -8) = r0\nr9 = 1\nr0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r9)\n${use}\nexit`;
    const zexts = (src: string) =>
      check(src).xlated!.filter((x) => x.code === 0xbc && x.imm === 1 && x.dst === 0).length;
    expect(zexts(prog('r0 &= 3'))).toBe(1);
    // subreg_def moves to the 32-bit ALU op: the later 64-bit read concerns it, not the cmpxchg.
    expect(zexts(prog('w0 -= 7\nr0 &= 3'))).toBe(0);
  });

  it('the frame pointer is read only', () => {
    expect(check('r1 = r10\nr0 = 0\nexit').verdict).toBe('accept');
    expect(check('r10 = 0\nr0 = 0\nexit').error).toBe('frame pointer is read only');
  });

  it('division by an immediate zero and bad shifts are rejected', () => {
    expect(check('r0 = 6\nr0 /= 2\nexit').verdict).toBe('accept');
    expect(check('r0 = 6\nr0 /= 0\nexit').error).toBe('div by zero');
    expect(check('r0 = 6\nr0 <<= 64\nexit').error).toBe('invalid shift 64');
  });

  it('stack writes must stay inside the frame and be aligned', () => {
    expect(check('*(u64 *)(r10 -8) = 1\nr0 = 0\nexit').verdict).toBe('accept');
    const up = check('*(u64 *)(r10 +8) = 1\nr0 = 0\nexit');
    expect([up.errno, up.error]).toEqual([13, 'invalid write to stack R10 off=8 size=8']);
    expect(check('*(u64 *)(r10 -4) = 1\nr0 = 0\nexit').error).toBe(
      'misaligned stack access off 0+0+-4 size 8',
    );
  });

  it('map lookups must be null-checked before the value is read', () => {
    const base = `*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
`;
    const ok = check(`${base}if r0 == 0 goto pc+1\nr0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`, 'socket_filter', [
      hash,
    ]);
    expect(ok.verdict).toBe('accept');
    const bad = check(`${base}r0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`, 'socket_filter', [hash]);
    expect(bad.error).toBe("R0 invalid mem access 'map_value_or_null'");
    // v6.18: an array lookup with a constant in-bounds key cannot return NULL.
    expect(check(`${base}r0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`, 'socket_filter', [arr]).verdict).toBe('accept');
    const out = check(
      `${base.replace('= 0\n', '= 1\n')}r0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
      'socket_filter',
      [arr],
    );
    expect(out.error).toBe("R0 invalid mem access 'map_value_or_null'");
  });

  it('packet reads need a bounds check against data_end', () => {
    const ok = `r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 14
r0 = 2
if r4 > r3 goto pc+1
r0 = *(u8 *)(r2 +13)
exit`;
    expect(check(ok, 'xdp').verdict).toBe('accept');
    const bad = check(ok.replace('+13)', '+14)'), 'xdp');
    expect(bad.error).toBe('R2 offset is outside of the packet');
  });

  it('pointer arithmetic rules', () => {
    expect(check('r1 += 8\nr0 = 0\nexit').verdict).toBe('accept');
    expect(check('r1 *= 8\nr0 = 0\nexit').error).toBe('R1 pointer arithmetic with *= operator prohibited');
    expect(check('r1 |= 8\nr0 = 0\nexit').error).toBe('R1 bitwise operator |= on pointer prohibited');
    expect(check('w1 += 8\nr0 = 0\nexit').error).toBe('R1 32-bit pointer arithmetic prohibited');
  });

  it('ctx access goes through is_valid_access and must use the unmodified pointer', () => {
    expect(check('r0 = *(u32 *)(r1 +0)\nexit').verdict).toBe('accept');
    expect(check('r1 += 4\nr0 = *(u32 *)(r1 +0)\nexit').error).toBe(
      'dereference of modified ctx ptr R1 off=4 disallowed',
    );
  });

  it('bounded loops are accepted, endless ones are not', () => {
    expect(check('r0 = 0\nr1 = 4\nr0 += 1\nr1 -= 1\nif r1 != 0 goto pc-3\nexit').verdict).toBe('accept');
    const inf = check('r0 = 0\nr1 = 4\nr0 = 1\nif r1 != 0 goto pc-2\nexit');
    expect(inf.verdict).toBe('reject');
    expect(inf.log).toContain('infinite loop detected at insn 3');
  });

  it('load checks: unreachable code and jumps out of range', () => {
    expect(check('r0 = 0\nexit\nr0 = 1\nexit').error).toBe('unreachable insn 2');
    const r = check('goto pc+5\nr0 = 0\nexit');
    expect([r.errno, r.error, r.processedInsns]).toEqual([22, 'jump out of range from insn 0 to 6', 0]);
  });

  it('accepted programs log only the statistics line at level 1', () => {
    const r = check('r0 = 0\nif r0 == 0 goto pc+1\nr0 = 1\nexit');
    expect(r.log).toMatch(
      /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0\n$/,
    );
  });
});

describe('the statistics line', () => {
  const stats = (log: string) => /total_states (\d+) peak_states (\d+)/.exec(log)!.slice(1).map(Number);

  it('peak_states counts kept checkpoints, not branches still waiting on the stack', () => {
    // A checkpoint at the call (insn 9) while the branch of insn 6 is still pushed: the kernel's
    // explored_states_size + free_list_size is 1, the pending branch is not a state it counts.
    const r = check(
      'r6 = r1\nr7 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r7\nr4 += 20\nr0 = 1\n' +
        'if r4 > r3 goto pc+4\nr1 = r6\nr2 = 14\ncall bpf_xdp_adjust_head\nr0 = *(u8 *)(r7 +0)\nexit',
      'xdp',
    );
    expect(r.error).toBe("R7 invalid mem access 'scalar'");
    expect(stats(r.log)).toEqual([1, 1]);
  });

  it('a walk that keeps every checkpoint peaks at its total', () => {
    const src = ['r0 = 0', 'r6 = 0'];
    for (let i = 0; i < 6; i++) src.push('call bpf_get_prandom_u32', `if r0 > ${i} goto pc+1`, 'r6 += 1');
    src.push('r0 = r6', 'exit');
    const r = check(src.join('\n'));
    expect(r.verdict).toBe('accept');
    const [total, peak] = stats(r.log);
    expect(total).toBeGreaterThan(1);
    expect(peak).toBe(total);
  });
});

describe('kfunc calls (btf_kfunc_id_set_contains and KF_* flags)', () => {
  const vm = btf.vmlinux.btf;
  const kcheck = (src: string, progType: LoadAttr['progType']) => {
    const insns = assemble(src, {
      resolveCall: (name) => {
        const id = vm.findByName(name, 'FUNC');
        return id === undefined ? undefined : { src: 2, imm: id };
      },
    });
    return bpfCheck({ insns, progType, logLevel: 1 }, { btf });
  };
  const acquireRelease = `r1 = 1
call bpf_task_from_pid
if r0 == 0 goto pc+2
r1 = r0
call bpf_task_release
r0 = 0
exit`;

  it('a kfunc outside the hook’s sets is not allowed', () => {
    // The generic set is registered for sched_cls (selftest-rules kf-task-acquire-release).
    expect(kcheck(acquireRelease, 'sched_cls').verdict).toBe('accept');
    const r = kcheck(acquireRelease, 'socket_filter');
    expect([r.errno, r.error]).toEqual([13, 'calling kernel function bpf_task_from_pid is not allowed']);
    // tcp_reno_ssthresh is registered for struct_ops only.
    expect(kcheck('call tcp_reno_ssthresh\nr0 = 0\nexit', 'sched_cls').error).toBe(
      'calling kernel function tcp_reno_ssthresh is not allowed',
    );
  });

  it('KF_ACQUIRE references must be released, KF_RET_NULL results null-checked', () => {
    const leak = kcheck('r1 = 1\ncall bpf_task_from_pid\nr0 = 0\nexit', 'sched_cls');
    expect(leak.error).toBe('BPF_EXIT instruction in main prog would lead to reference leak');
    expect(leak.log).toMatch(/\nUnreleased reference id=\d+ alloc_insn=1\nBPF_EXIT instruction in main prog/);
    const unchecked = kcheck(
      'r1 = 1\ncall bpf_task_from_pid\nr1 = r0\ncall bpf_task_release\nr0 = 0\nexit',
      'sched_cls',
    );
    expect(unchecked.error).toBe('Possibly NULL pointer passed to trusted arg0');
  });

  it('bpf_rcu_read_lock/unlock: one region, balanced on every path, closed before exit', () => {
    const run = (s: string) => kcheck(`${s}\nr0 = 0\nexit`, 'sched_cls');
    expect(run('call bpf_rcu_read_lock\ncall bpf_rcu_read_unlock').verdict).toBe('accept');
    expect([run('call bpf_rcu_read_unlock').errno, run('call bpf_rcu_read_unlock').error]).toEqual([
      22,
      'unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)',
    ]);
    expect(run('call bpf_rcu_read_lock\ncall bpf_rcu_read_lock').error).toBe(
      'nested rcu read lock (kernel function bpf_rcu_read_lock)',
    );
    expect(run('call bpf_rcu_read_lock').error).toBe(
      'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region',
    );
    // The two paths meet at the unlock, one locked: the locked one must not prune the other.
    const branch = run(
      'call bpf_get_prandom_u32\nif r0 == 0 goto pc+1\ncall bpf_rcu_read_lock\ncall bpf_rcu_read_unlock',
    );
    expect(branch.error).toBe('unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)');
  });

  it('an RCU pointer read under the lock is untrusted after the unlock (KF_RCU wants one)', () => {
    const prog = (unlockFirst: boolean) =>
      kcheck(
        `call bpf_rcu_read_lock
call bpf_get_current_task_btf
r6 = *(u64 *)(r0 +1280)
${unlockFirst ? 'call bpf_rcu_read_unlock\n' : ''}r1 = r6
call bpf_task_acquire
if r0 == 0 goto pc+2
r1 = r0
call bpf_task_release
${unlockFirst ? '' : 'call bpf_rcu_read_unlock\n'}r0 = 0
exit`,
        'sched_cls',
      );
    expect(prog(false).verdict).toBe('accept');
    const r = prog(true);
    expect(r.error).toBe('R1 must be a rcu pointer');
    expect(r.log).toMatch(/R6=rcu_ptr_task_struct\(\)/);
    expect(r.log).toMatch(/R1=untrusted_ptr_task_struct\(\) R6=untrusted_ptr_task_struct\(\)/);
  });

  it('a sleepable helper inside the RCU region is refused, in a sleepable program too', () => {
    const insns = assemble(
      'call bpf_rcu_read_lock\nr1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_copy_from_user\nr0 = 0\nexit',
      { resolveCall: (name) => ({ src: 2, imm: vm.findByName(name, 'FUNC')! }) },
    );
    const r = bpfCheck({ insns, progType: 'syscall', sleepable: true, logLevel: 1 }, { btf });
    expect([r.errno, r.error]).toEqual([
      22,
      'sleepable helper bpf_copy_from_user#148 in rcu_read_lock region',
    ]);
  });

  it('bpf_cast_to_kern_ctx becomes r0 = r1; a NULL argument is refused', () => {
    const r = kcheck('call bpf_cast_to_kern_ctx\nr0 = 0\nexit', 'sched_cls');
    expect(r.verdict).toBe('accept');
    expect(r.xlated?.[0]).toMatchObject({ code: 0xbf, dst: 0, src: 1 });
    // R0 is the program type's kernel context, trusted: reads walk struct sk_buff, writes fail.
    const w = kcheck('call bpf_cast_to_kern_ctx\nr1 = 0\n*(u32 *)(r0 +112) = r1\nr0 = 0\nexit', 'sched_cls');
    expect(w.error).toBe('only read is supported');
    expect(w.log).toMatch(/^0: \(85\) call bpf_cast_to_kern_ctx#\d+ +; R0=trusted_ptr_sk_buff\(\)$/m);
    expect(kcheck('r1 = 0\ncall bpf_cast_to_kern_ctx\nr0 = 0\nexit', 'sched_cls').error).toBe(
      'Possibly NULL pointer passed to trusted arg0',
    );
  });

  it('a released pointer is dead', () => {
    const r = kcheck(
      `r1 = 1
call bpf_task_from_pid
if r0 == 0 goto pc+4
r6 = r0
r1 = r0
call bpf_task_release
r0 = *(u32 *)(r6 +0)
r0 = 0
exit`,
      'sched_cls',
    );
    expect(r.verdict).toBe('reject');
    expect(r.error).toMatch(/^R6 invalid mem access 'scalar'$/);
  });
});

describe('helper args declared PTR_MAYBE_NULL', () => {
  it('bpf_csum_diff takes NULL for from and to', () => {
    const r = check('r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff\nr0 = 0\nexit', 'sched_cls');
    expect(r.verdict).toBe('accept');
    // A NULL size argument is still checked: r2 must be a known constant.
    const bad = check('r1 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff\nr0 = 0\nexit', 'sched_cls');
    expect(bad.error).toBe('R2 !read_ok');
  });
});

describe('sign-extending moves keep a range that stays on one side of zero (coerce_reg_to_size_sx)', () => {
  // r3 = (s16)r2 where r2 is a ctx-derived value masked into a known range; `if r3 s< 0` is decided
  // only when the sign-extended range is exact.
  const prog = (mask: string) => `r0 = 0
r2 = *(u32 *)(r1 +0)
${mask}
r3 = (s16)r2
if r3 s< 0 goto pc+1
r0 = 1
exit`;

  it('[0, 14] stays [0, 14]: the branch is never taken', () => {
    const r = check(prog('r2 &= 14'));
    expect([r.verdict, r.processedInsns]).toEqual(['accept', 7]);
  });

  it('[0x8000, 0x800e] becomes [-32768, -32754]: the branch is always taken', () => {
    const r = check(prog('r2 &= 14\nr2 |= 32768'));
    expect([r.verdict, r.processedInsns]).toEqual(['accept', 7]);
  });

  it('[0, 0xffff] straddles the sign bit: the full s16 range, both branches walked', () => {
    const r = check(prog('r2 &= 65535'));
    expect([r.verdict, r.processedInsns]).toEqual(['accept', 8]);
  });

  it('reproduces the kernel count of random-1029 ((s16) of [0, 14] inside a loop)', () => {
    const line = readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
      .split('\n')
      .find((l) => l.includes('"id":"random-1029"') || l.includes('"id": "random-1029"'));
    const c = JSON.parse(line!) as CorpusCase;
    expect(bpfCheck(caseToLoadAttr(c), { btf }).processedInsns).toBe(c.kernel.processed_insns);
  });
});

describe('log lines the kernel prints on the way to a reject', () => {
  const corpusCase = (id: string): CorpusCase =>
    JSON.parse(
      readFileSync('test/fixtures/corpus/cases.jsonl', 'utf8')
        .split('\n')
        .find((l) => l.includes(`"id":"${id}"`))!,
    ) as CorpusCase;

  it('a kfunc argument struct nested too deep says so before the reason (random-0169)', () => {
    const c = corpusCase('random-0169');
    const r = bpfCheck(caseToLoadAttr(c), { btf });
    expect(r.log).toContain(
      'max struct nesting depth exceeded\narg#0 pointer type STRUCT tcp_sock must point to scalar, or struct with scalar\n',
    );
    expect(r.log).toBe(c.kernel.log);
  });

  it("a helper's write into a 4-byte spill: the spilled bytes become misc, the unwritten stay invalid", () => {
    const r = check(
      '*(u32 *)(r10 -8) = 0\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 1\ncall bpf_skb_load_bytes\nr0 = r2\nexit',
    );
    expect(r.log).toMatch(/^0: \(62\) \*\(u32 \*\)\(r10 -8\) = 0 +; R10=fp0 fp-8=\?\?\?\?0$/m);
    expect(r.log).toMatch(/^5: \(85\) call bpf_skb_load_bytes#26 +; R0=scalar\(\) fp-8=\?\?\?\?mmmm$/m);
  });
});
