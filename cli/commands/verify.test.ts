import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from './verify';

const run = async (argv: string[]) => {
  let out = '';
  const code = await verify.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
};

describe('kmodel verify --attach STRUCT:#INDEX', () => {
  it('a member index past the struct’s members gets the kernel’s attach error and log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-verify-'));
    const prog = join(dir, 'p.s');
    writeFileSync(prog, 'r0 = 0\nexit\n');
    const r = await run([prog, '--prog-type', 'struct_ops', '--attach', 'tcp_congestion_ops:#40']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^attach to invalid member idx 40 of struct tcp_congestion_ops\nprocessed 0 insns (.|\n)*verdict: reject \(errno 22\)/,
    );
    const data = await run([prog, '--prog-type', 'struct_ops', '--attach', 'tcp_congestion_ops:#11']);
    expect(data.out).toMatch(/^attach to invalid member name\(@idx 11\) of struct tcp_congestion_ops\n/);
    const op = await run([prog, '--prog-type', 'struct_ops', '--attach', 'tcp_congestion_ops:#8']);
    expect(op.code).toBe(0);
  });
});

describe('kmodel verify --model', () => {
  it('a program on a model file’s member gets its writable fields and its epilogue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-verify-'));
    const model = join(dir, 'demo.yaml');
    copyFileSync(resolve(__dirname, '../../test/fixtures/model/byo-demo.yaml'), model);
    const prog = (field: number) => {
      const f = join(dir, `w${field}.s`);
      writeFileSync(f, `r1 = *(u64 *)(r1 +0)\nr2 = 1\n*(u64 *)(r1 +${field}) = r2\nr0 = 0\nexit\n`);
      return f;
    };
    const attach = ['--model', model, '--attach', 'demo_filter_ops:classify'];
    // demo_args.verdict (+8) is writable in the model; demo_args.len (+0) is not.
    const ok = await run([prog(8), ...attach]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/verdict: accept/);
    expect(ok.out).toMatch(/call demo_account/);
    const refused = await run([prog(0), ...attach]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/no write support to demo_args at off 0/);
  });

  it('marking cong_avoid unsupported in a copy of tcp_cc.yaml makes check_member refuse it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-verify-'));
    const prog = join(dir, 'p.s');
    writeFileSync(prog, 'r0 = 0\nexit\n');
    const shipped = readFileSync(resolve(__dirname, '../../models/tcp_cc.yaml'), 'utf8');
    const rule = /- \{ name: cong_avoid, decl: /;
    expect(shipped).toMatch(rule);
    const copy = join(dir, 'tcp_cc.yaml');
    writeFileSync(copy, shipped.replace(rule, '- { name: cong_avoid, kind: unsupported, decl: '));
    const attach = ['--attach', 'tcp_congestion_ops:cong_avoid'];
    const asShipped = await run([prog, '--model', resolve(__dirname, '../../models/tcp_cc.yaml'), ...attach]);
    expect(asShipped.code).toBe(0);
    const edited = await run([prog, '--model', copy, ...attach]);
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(
      /^attach to unsupported member cong_avoid of struct tcp_congestion_ops\n(.|\n)*verdict: reject \(errno 524\)/,
    );
  });
});

describe('kmodel verify --log-level', () => {
  it('0 builds no log: only the verdict and the xlated program print, as bpf(2) with log_level 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-verify-'));
    const prog = join(dir, 'p.s');
    writeFileSync(prog, 'r0 = 0\nexit\n');
    const quiet = await run([prog, '--prog-type', 'socket_filter', '--log-level', '0']);
    expect(quiet.code).toBe(0);
    expect(quiet.out).not.toMatch(/processed \d+ insns/);
    expect(quiet.out).toMatch(/^verdict: accept/);
    const logged = await run([prog, '--prog-type', 'socket_filter', '--log-level', '1']);
    expect(logged.out).toMatch(/processed 2 insns/);
    await expect(run([prog, '--prog-type', 'socket_filter', '--log-level', '3'])).rejects.toThrow(
      '--log-level must be 0, 1 or 2',
    );
  });
});

describe('kmodel verify progress', () => {
  // A bounded loop walked iteration by iteration: 20,003 processed insns, two progress reports.
  const loop = () => {
    const f = join(mkdtempSync(join(tmpdir(), 'kmodel-verify-')), 'loop.s');
    writeFileSync(f, 'r0 = 0\nr0 += 1\nif r0 < 10000 goto pc-2\nr0 = 0\nexit\n');
    return f;
  };
  const runIo = async (stderrIsTTY: boolean) => {
    let out = '';
    let err = '';
    const code = await verify.run({
      argv: [loop(), '--prog-type', 'socket_filter'],
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      stderrIsTTY,
    });
    return { code, out, err };
  };

  it('shows processed insns on a terminal’s stderr and erases the line when done', async () => {
    const r = await runIo(true);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^\r\x1b\[Kverifying: 8,192 of 1,000,000 insns processed, \d+ states, at insn [12]/,
    );
    expect(r.err.endsWith('\r\x1b[K')).toBe(true);
    expect(r.out).toMatch(/verdict: accept/);
  });

  it('writes nothing to stderr when it is not a terminal', async () => {
    const r = await runIo(false);
    expect([r.code, r.err]).toEqual([0, '']);
  });
});

describe('kmodel verify OBJ.o: the xlated listing', () => {
  // The dump keeps a bpf-to-bpf call's pc offset in off (imm is the callee's index).
  it('prints bpf-to-bpf calls as pc offsets that land on the callee', async () => {
    const obj = resolve(__dirname, '../../test/fixtures/objects/verifier/build/btf_funcs.bpf.o');
    const r = await run([obj, '--program', 'glob_scalar']);
    expect(r.code).toBe(0);
    const xlated = r.out.slice(r.out.indexOf('xlated ('));
    const calls = [...xlated.matchAll(/^(\d+): \(85\) call pc([+-]\d+)$/gm)];
    expect(calls.length).toBeGreaterThan(0);
    const starts = [...xlated.matchAll(/^(\d+): /gm)].map((m) => Number(m[1]));
    for (const [, at, off] of calls) expect(starts).toContain(Number(at) + Number(off) + 1);
    expect(xlated).not.toMatch(/call pc[^+-]/);
  });
});
