// The CLI's contract for bad input, on the built `kmodel` (npm test builds it first):
// every command that reads a file, given an empty file, a directory, a missing path,
// a device, bytes that are not UTF-8 or a file over every size limit, exits 2 with
// one line on stderr, quickly (no reading /dev/zero to the end, no stack trace).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../main/host/input-file';

const root = resolve(__dirname, '..');
const kmodel = join(root, 'bin/kmodel.mjs');
const built = existsSync(join(root, 'out/cli/kmodel.mjs'));

const dir = mkdtempSync(join(tmpdir(), 'kmodel-contract-'));
const at = (name: string) => join(dir, name);
writeFileSync(at('empty'), '');
mkdirSync(at('folder'));
// Not UTF-8, no NUL byte and not a whole number of instructions: no reader takes it.
writeFileSync(at('bad-encoding'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0x0a]));
writeFileSync(at('huge'), '');
// Sparse: over the largest limit without using the disk.
truncateSync(at('huge'), Math.max(...Object.values(INPUT_LIMITS)) + 1);

const INPUTS: Record<string, string> = {
  'empty file': at('empty'),
  directory: at('folder'),
  'missing path': at('missing'),
  'device file': '/dev/zero',
  'bad encoding': at('bad-encoding'),
  'huge input': at('huge'),
};

/** Every command with a file argument; F is where the file goes. */
const COMMANDS: string[][] = [
  ['btf', 'dump', 'F'],
  ['btf', 'find', 'task_struct', '--file', 'F'],
  ['btf', 'kfuncs', '--file', 'F'],
  ['asm', 'F'],
  ['compare', 'F'],
  ['diff', 'F', 'F'],
  ['disasm', 'F'],
  ['disasm', '--hex', '9500000000000000', '--kallsyms', 'F'],
  ['jit', 'F', '--prog-type', 'xdp'],
  ['model', 'check', 'F'],
  ['model', 'show', 'F'],
  ['model', 'from-object', 'F'],
  ['run', 'F'],
  ['stats', 'F'],
  ['verify', 'F', '--prog-type', 'xdp'],
  ['corpus', 'check', 'F'],
  ['export', 'F', '--out', at('export-out')],
  ['object', 'show', 'F'],
  ['object', 'insns', 'F'],
  ['selftest', 'F'],
];

/** Each run's limit: node start-up plus, for some, loading the reference BTF, on a busy machine. */
const TIME_LIMIT_MS = 15_000;

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

function runKmodel(argv: string[]): Promise<Outcome> {
  return new Promise((done) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [kmodel, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), TIME_LIMIT_MS);
    p.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs all cases, a few at a time. */
async function runAll(cases: { name: string; argv: string[] }[], parallel: number) {
  const out = new Map<string, Outcome>();
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      out.set(c.name, await runKmodel(c.argv));
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return out;
}

describe.skipIf(!built)('CLI contract for bad input files', () => {
  it('exits 2 with one line on stderr for every command and bad input', async () => {
    const cases = COMMANDS.flatMap((cmd) =>
      Object.entries(INPUTS).map(([what, path]) => ({
        name: `${cmd.join(' ')} × ${what}`,
        argv: cmd.map((a) => (a === 'F' ? path : a)),
      })),
    );
    const results = await runAll(cases, 4);
    const broken = [...results]
      .filter(
        ([, r]) => r.code !== 2 || r.stderr.trimEnd().split('\n').length !== 1 || /\n\s+at /.test(r.stderr),
      )
      .map(
        ([name, r]) =>
          `${name}: exit ${r.code} after ${r.ms} ms, stderr ${JSON.stringify(r.stderr.slice(0, 200))}`,
      );
    expect(broken).toEqual([]);
    // The line names the file it is about.
    for (const [name, r] of results)
      if (!name.includes('--kallsyms')) expect(r.stderr, name).toMatch(/kmodel /);
  }, 300_000);
});
