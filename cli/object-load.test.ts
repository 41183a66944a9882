import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clangCases } from '../test/fixtures/objects/load';
import { jit } from './commands/jit';
import { verify } from './commands/verify';
import { objectProgramArg } from './object-load';

const fixture = (rel: string) => join(__dirname, '../test/fixtures/objects', rel);

async function call(cmd: typeof verify, argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await cmd.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
}

describe('BPF objects as the program of kmodel verify / jit', () => {
  it('takes type, struct_ops attach and maps from the object', async () => {
    const cc = await objectProgramArg(fixture('build/cc_reno.bpf.o'), 'reno_cong_avoid');
    expect(cc).toMatchObject({ progType: 'struct_ops', attach: 'tcp_congestion_ops:cong_avoid', maps: [] });
    const xdp = await objectProgramArg(fixture('build/xdp_dispatch.bpf.o'), undefined);
    expect(xdp).toMatchObject({
      progType: 'xdp',
      maps: [{ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    });
    expect(await objectProgramArg(join(__dirname, 'object-load.ts'), undefined)).toBeUndefined();
    await expect(objectProgramArg(join(__dirname, 'object-load.ts'), 'x')).rejects.toThrow(
      '--program NAME needs a BPF ELF object FILE',
    );
  });

  it('verifies an object program with the kernel verdict of its corpus case (clang-0032: reject, EACCES)', async () => {
    const r = await call(verify, [fixture('build/tc_bug_null.bpf.o')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('verdict: reject (errno 13)');
    const ok = await call(verify, [fixture('build/cc_aimd.bpf.o'), '--program', 'aimd_cong_avoid']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('verdict: accept');
  });

  it("prints the object's C lines (line_info) before the instructions of the log", async () => {
    const r = await call(verify, [fixture('build/tc_bug_null.bpf.o')]);
    const src = readFileSync(fixture('src/tc_bug_null.bpf.c'), 'utf8').split('\n');
    const lines = r.out.split('\n');
    const c = lines.flatMap((l, i) => {
      const m = /^; (.*) @ tc_bug_null\.bpf\.c:(\d+)$/.exec(l);
      // Line 0 (code clang made up) prints with no text, as the kernel prints it.
      return m && m[2] !== '0' ? [{ text: m[1]!, line: Number(m[2]), next: lines[i + 1]! }] : [];
    });
    expect(c.length).toBeGreaterThanOrEqual(3);
    for (const x of c) {
      expect(x.text).toBe(src[x.line - 1]!.trimStart());
      expect(x.next).toMatch(/^\d+: \([0-9a-f]{2}\) /);
    }
    // The rejected access is under its C line.
    expect(lines.indexOf('8: (79) r1 = *(u64 *)(r0 +0)') - 1).toBe(
      lines.indexOf(`; ${src[16]!.trimStart()} @ tc_bug_null.bpf.c:17`),
    );
  });

  it("JITs an object program to its corpus case's image (clang-0045, addresses masked)", async () => {
    const c = clangCases().get('clang-0045') as unknown as {
      kernel: { jited: string; jited_calls: { at: number }[]; jited_imm64: { at: number }[] };
    };
    const r = await call(jit, [fixture('build/xdp_dispatch.bpf.o'), '--bytes']);
    const mask = (hex: string) => {
      const b = hex.match(/../g)!;
      for (const x of c.kernel.jited_calls) b.fill('..', x.at + 1, x.at + 5);
      for (const x of c.kernel.jited_imm64) b.fill('..', x.at, x.at + 8);
      return b.join('');
    };
    const got = r.out.replace(/^[0-9a-f]+:/gm, '').replace(/\s+/g, '');
    expect(mask(got)).toBe(mask(c.kernel.jited));
  });

  it('loads a kprobe program as kprobe, and refuses a map the verifier model does not have, in one line', async () => {
    const kprobe = await call(verify, [fixture('own/build/core_reloc.bpf.o'), '--program', 'core_types']);
    expect(kprobe.code).toBe(0);
    expect(kprobe.out).toMatch(/verdict: accept/);
    await expect(
      call(verify, [fixture('own/build/global_data.bpf.o'), '--program', 'data_user']),
    ).rejects.toThrow(/uses map 'outer' of type array_of_maps/);
  });
});
