import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleProgram } from '../../core/model/build';
import { runModelPipeline } from '../../core/model/pipeline';
import { CliError } from '../errors';
import { jit } from './jit';
import { checkModelFile } from './model-load';

const run = async (argv: string[]) => {
  let out = '';
  const code = await jit.run({ argv, stdout: (t) => (out += t), stderr: () => {} });
  return { code, out };
};

const corpusCase = (id: string) =>
  readFileSync(join(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((c) => c.id === id);

describe('kmodel jit', () => {
  it('--xlated: JITs a corpus xlated program to the kernel image and names its calls', async () => {
    const c = corpusCase('hand-0183');
    const bytes = await run(['--xlated', '--hex', c.kernel.xlated, '--bytes']);
    expect(bytes.code).toBe(0);
    const image = bytes.out.replace(/^[0-9a-f]{4}: /gm, '').replace(/\s+/g, '');
    // identical except the call/jmp displacements (where the image and the kernel landed)
    const masked = (h: string) => h.slice(0, 66) + h.slice(74, 100) + h.slice(108);
    expect(masked(image)).toBe(masked(c.kernel.jited));
    const listing = await run(['--xlated', '--hex', c.kernel.xlated]);
    expect(listing.out).toMatch(/; 5: \(85\) call bpf_skb_pull_data/);
    expect(listing.out).toMatch(/call bpf_skb_pull_data\n/);
    expect(listing.out).toMatch(/jmp srso_alias_return_thunk/);
    expect(listing.out.split('\n')[0]).toBe('; x86-64 JIT: 88 bytes, 4 passes, stack 0');
  });

  it('runs the modeled verifier first (ctx rewrite visible in the listing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-jit-'));
    const file = join(dir, 'p.s');
    writeFileSync(file, 'r6 = r1\nr0 = 0\nr2 = *(u32 *)(r6 +0)\nif r2 > 0x64 goto pc+1\nr0 = 1\nexit\n');
    const { code, out } = await run([file, '--prog-type', 'socket_filter', '--syntax', 'intel']);
    expect(code).toBe(0);
    expect(out).toMatch(/; 2: \(61\) r2 = \*\(u32 \*\)\(r6 \+112\)/);
    expect(out).toMatch(/mov esi, \[rbx\+0x70\]/);
  });

  it('bad input is a one-line CliError', async () => {
    await expect(run(['--hex', 'zz', '--xlated'])).rejects.toBeInstanceOf(CliError);
    await expect(run(['--hex', '9500000000000000'])).rejects.toThrow(/--prog-type is required/);
    await expect(run(['--hex', '9500000000000000', '--xlated', '--syntax', 'att'])).rejects.toThrow(
      /intel or gas/,
    );
  });

  it('--model: a program on a modeled member gets the model’s prologue, as the model’s own programs do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-jit-'));
    const file = join(dir, 'init.s');
    writeFileSync(file, 'r1 = *(u64 *)(r1 +0)\nr2 = 1000\n*(u32 *)(r1 +20) = r2\nr0 = 0\nexit\n');
    const check = checkModelFile('qdisc', undefined, false);
    const idx = check.resolved!.programs.findIndex((p) => p.member.name === 'init');
    const init = check.resolved!.members.find((m) => m.name === 'init')!;
    const expected = runModelPipeline({
      check,
      base: check.build!.emitter.base!,
      member: 'init',
      insns: assembleProgram(check.resolved!, { build: check.build!, as: check.as! }, idx),
      design: init.prologue?.design,
      profile: check.resolved!.model.profile,
      doCheck: true,
    });
    expect(expected.jit?.size).toBeGreaterThan(0);
    const header = (out: string) => Number(/^; x86-64 JIT: (\d+) bytes/.exec(out)?.[1]);
    const withModel = await run([file, '--model', 'qdisc', '--attach', 'Qdisc_ops:init']);
    expect(withModel.code).toBe(0);
    expect(header(withModel.out)).toBe(expected.jit!.size);
    expect(withModel.out).toMatch(/call bpf_qdisc_init_prologue/);
    // Without --model the shipped model that describes Qdisc_ops is used, not the bare BTF type.
    const auto = await run([file, '--prog-type', 'struct_ops', '--attach', 'Qdisc_ops:init']);
    expect(header(auto.out)).toBe(expected.jit!.size);
    await expect(run([file, '--model', 'qdisc', '--attach', 'Qdisc_ops:nope'])).rejects.toThrow(
      /no op member 'nope' \(ops: enqueue, dequeue, init, reset, destroy\)/,
    );
  });
  it('--profile/--config choose the kernel configuration the JIT emits for', async () => {
    const c = corpusCase('hand-0183');
    const plain = await run([
      '--xlated',
      '--hex',
      c.kernel.xlated,
      '--config',
      'return_thunk=none,retpoline=off',
    ]);
    expect(plain.out).toMatch(/\n {2}[0-9a-f]+: {2}ret\n/);
    expect(plain.out).not.toMatch(/srso_alias_return_thunk/);
    expect(plain.out.split('\n')[0]).toBe('; x86-64 JIT: 84 bytes, 4 passes, stack 0');
    const ibt = await run([
      '--xlated',
      '--hex',
      c.kernel.xlated,
      '--profile',
      'v6.18',
      '--config',
      'ibt=on',
      '--bytes',
    ]);
    expect(
      ibt.out
        .replace(/^[0-9a-f]{4}: /gm, '')
        .replace(/\s+/g, '')
        .slice(0, 8),
    ).toBe('f30f1efa');
    await expect(run(['--xlated', '--hex', c.kernel.xlated, '--config', 'retpoline=maybe'])).rejects.toThrow(
      /--config: retpoline must be one of off\|on\|lfence\|its/,
    );
    await expect(run(['--xlated', '--hex', c.kernel.xlated, '--profile', 'v5.10'])).rejects.toBeInstanceOf(
      CliError,
    );
  });
});
