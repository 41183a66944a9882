import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import type { ApiEnvelope, JitView, ObjectView, VerifyView } from './types';

const root = findPackageRoot(__dirname);
const api = inProcessBackend(root);
const objectFile = (rel: string) => readFileSync(join(root, 'test/fixtures/objects', rel));
const sourceFile = (rel: string) =>
  readFileSync(join(root, 'test/fixtures/objects', rel), 'utf8').split('\n');

async function open(rel: string): Promise<ApiEnvelope<ObjectView>> {
  const base64 = objectFile(rel).toString('base64');
  return (await api.call('openObject', { base64, name: rel.split('/').pop() })) as ApiEnvelope<ObjectView>;
}

describe('openObject', () => {
  it("lists a struct_ops object's programs with their members, listing and C lines from line_info", async () => {
    const env = await open('build/cc_rate.bpf.o');
    if (!env.ok) throw new Error(env.error.message);
    const v = env.result;
    expect(v.license).toBe('GPL');
    expect(v.programs.map((p) => [p.name, p.attach?.member])).toEqual([
      ['rate_cong_control', 'cong_control'],
      ['rate_ssthresh', 'ssthresh'],
      ['rate_undo_cwnd', 'undo_cwnd'],
      ['rate_pkts_acked', 'pkts_acked'],
    ]);
    const src = sourceFile('src/cc_rate.bpf.c');
    for (const p of v.programs) {
      expect(p.listing.slots * 16).toBe(p.hex.length);
      expect(p.source.length).toBeGreaterThan(0);
      // Each line_info line is the C text at its line number in the source the object was built from.
      for (const s of p.source) expect(s.idx).toBeLessThan(p.listing.slots);
      const own = p.source.filter((s) => s.file.endsWith('cc_rate.bpf.c'));
      expect(own.length).toBeGreaterThan(0);
      for (const s of own) expect(src[s.line - 1]).toBe(s.text);
    }
    // Kfunc calls by name, as the verifier log prints them.
    const ssthresh = v.programs.find((p) => p.name === 'rate_ssthresh')!;
    expect(ssthresh.listing.lines.some((l) => /^\(85\) call tcp_reno_ssthresh#\d+$/.test(l.text))).toBe(true);
  });

  it('names the maps a program references, and refuses a bad object in one line', async () => {
    const env = await open('build/sf_count_proto.bpf.o');
    if (!env.ok) throw new Error(env.error.message);
    const texts = env.result.programs[0]!.listing.lines.map((l) => l.text);
    expect(texts.some((t) => /^\(18\) r\d = map\[\w+\]/.test(t))).toBe(true);
    const bad = await api.call('openObject', {
      base64: Buffer.from('\x7fELFjunk').toString('base64'),
      name: 'x.o',
    });
    expect(bad).toEqual({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/^openObject: x\.o: [^\n]+$/) },
    });
  });

  it("verifies an object's program with its maps, its C lines before the insns of the log", async () => {
    const base64 = objectFile('build/tc_bug_null.bpf.o').toString('base64');
    const env = (await api.call('verify', {
      object: { base64, program: 'tc_bug_null' },
    })) as ApiEnvelope<VerifyView>;
    if (!env.ok) throw new Error(env.error.message);
    const src = sourceFile('src/tc_bug_null.bpf.c');
    expect(env.result.model.verdict).toBe('reject');
    expect(env.result.model.error).toBe("R0 invalid mem access 'map_value_or_null'");
    const lines = env.result.model.log.split('\n');
    const at = lines.indexOf('8: (79) r1 = *(u64 *)(r0 +0)');
    expect(lines[at - 1]).toBe(`; ${src[16]!.trimStart()} @ tc_bug_null.bpf.c:17`);
    const missing = await api.call('verify', { object: { base64, program: 'nope' } });
    expect(missing).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^verify: object program 'nope': not in the object/) },
    });
  });

  it("JITs an object's program: listing with its C lines, xlated, x86 tied to xlated insns", async () => {
    const base64 = objectFile('build/cc_rate.bpf.o').toString('base64');
    const env = (await api.call('jit', {
      object: { base64, program: 'rate_ssthresh' },
    })) as ApiEnvelope<JitView>;
    if (!env.ok) throw new Error(env.error.message);
    const v = env.result;
    expect(v.jitted).toBe(true);
    expect(v.bpf.some((l) => /^\(85\) call tcp_reno_ssthresh#\d+$/.test(l.text))).toBe(true);
    expect(v.source!.map((s) => s.line)).toEqual([25, 27, 25]);
    expect(v.x86.length).toBeGreaterThan(0);
    expect(v.x86.some((l) => l.insn !== null && l.insn < v.xlated.length)).toBe(true);
    const rejected = (await api.call('jit', {
      object: { base64: objectFile('build/tc_bug_null.bpf.o').toString('base64'), program: 'tc_bug_null' },
    })) as ApiEnvelope<JitView>;
    expect(rejected).toMatchObject({
      ok: true,
      result: { jitted: false, reason: expect.stringMatching(/R0 invalid mem access/) },
    });
  });
});
