import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CommandEntry } from './command';
import { commands } from './commands/index';
import { dispatch, select, usage } from './dispatch';
import { CliError } from './errors';

const root = resolve(__dirname, '..');
const fx = (name: string) => join(root, 'test/fixtures/btf', name);
const dir = mkdtempSync(join(tmpdir(), 'kmodel-dispatch-'));
const vmlinuxBtf = join(dir, 'vmlinux.btf');
writeFileSync(vmlinuxBtf, gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));

/** Runs `kmodel ARGV` in-process; stdoutFd, when given, is a file whose bytes come back as `bytes`. */
async function kmodel(argv: string[], list?: CommandEntry[], withFd = false) {
  let out = '';
  let err = '';
  const file = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const fd = withFd ? openSync(file, 'w') : undefined;
  try {
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t), stdoutFd: fd };
    const code = await dispatch(argv, io, list);
    return { code, out, err, bytes: fd === undefined ? Buffer.alloc(0) : readFileSync(file) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const fake = (words: string[], run: () => number): CommandEntry => ({
  words,
  usage: words.join(' '),
  summary: 'test',
  load: async () => ({ run }),
});

describe('kmodel dispatch', () => {
  it('prints every command in the help, one line each, without loading any', async () => {
    let loads = 0;
    const counted = commands.map((c) => ({
      ...c,
      load: () => {
        loads++;
        return c.load();
      },
    }));
    const help = await kmodel(['--help'], counted);
    expect(help.code).toBe(0);
    expect(help.out).toBe(usage());
    const lines = help.out.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['usage: kmodel <command> [options]', '', 'commands:']);
    expect(lines).toHaveLength(3 + commands.length);
    for (const [i, c] of commands.entries())
      expect(lines[3 + i]).toBe(`  ${c.usage.padEnd(56)} ${c.summary}`);
    expect((await kmodel([])).code).toBe(2);
    expect(loads).toBe(0);
  });

  it('reports an unknown command with the usage, exit 2', async () => {
    const r = await kmodel(['btf', 'nope', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`kmodel: unknown command 'btf nope x'\n${usage()}`);
  });

  it('registers every command module once, and each loads', async () => {
    const keys = commands.map((c) => c.words.join(' '));
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of commands) expect(typeof (await c.load()).run).toBe('function');
    // A module in cli/commands that exports a command must be reachable from the list.
    const index = readFileSync(join(__dirname, 'commands/index.ts'), 'utf8');
    for (const name of readdirSync(join(__dirname, 'commands'))) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'index.ts') continue;
      const file = join(__dirname, 'commands', name);
      const mod: Record<string, unknown> = await import(file);
      const isCommand = Object.values(mod).some((v) => typeof (v as { run?: unknown })?.run === 'function');
      if (isCommand) expect(index).toContain(`import('./${name.slice(0, -3)}')`);
    }
  });

  it('selects the longest matching words', () => {
    const list = [fake(['btf'], () => 1), fake(['btf', 'dump'], () => 2)];
    expect(select(['btf', 'dump', 'x'], list)?.cmd.words).toEqual(['btf', 'dump']);
    expect(select(['btf', 'x'], list)?.rest).toEqual(['x']);
  });

  it('turns errors into one line: CliError exit 2 (also a bundle-local copy), others exit 70', async () => {
    // Each built command bundle has its own copy of the CliError class.
    class OtherCliError extends Error {
      override name = 'CliError';
      exitCode = 2;
    }
    const list = [
      fake(['a'], () => {
        throw new CliError('bad input');
      }),
      fake(['b'], () => {
        throw new OtherCliError('bad input too');
      }),
      fake(['c'], () => {
        throw new TypeError('oops');
      }),
      fake(['d'], () => {
        throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      }),
    ];
    expect(await kmodel(['a', 'x'], list)).toMatchObject({ code: 2, err: 'kmodel a: bad input\n' });
    expect(await kmodel(['b'], list)).toMatchObject({ code: 2, err: 'kmodel b: bad input too\n' });
    expect(await kmodel(['c'], list)).toMatchObject({ code: 70, err: 'kmodel c: internal error: oops\n' });
    expect(await kmodel(['d'], list)).toMatchObject({ code: 0, err: '' });
  });
});

describe('kmodel btf dump with a stdout fd (bytes written as they are)', () => {
  const dump = (argv: string[]) => kmodel(['btf', 'dump', ...argv], undefined, true);

  it('writes the vmlinux raw and C dumps byte for byte as bpftool', async () => {
    const raw = await dump([vmlinuxBtf]);
    expect(raw.code).toBe(0);
    expect(raw.out).toBe('');
    expect(raw.bytes.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.txt.gz'))))).toBe(true);
    const c = await dump([vmlinuxBtf, '--format', 'c']);
    expect(c.code).toBe(0);
    expect(c.bytes.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.c.gz'))))).toBe(true);
  });

  it('reads gzip, ELF .BTF and split BTF on --base like the other btf commands', async () => {
    const gz = join(dir, 'vmlinux.btf.gz');
    writeFileSync(gz, readFileSync(join(root, 'assets/vmlinux.btf.gz')));
    const raw = await dump([gz]);
    expect(raw.bytes.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.txt.gz'))))).toBe(true);
    expect((await dump([fx('prog.bpf.o'), '--format', 'c'])).bytes.toString()).toBe(
      readFileSync(fx('prog.bpftool.h'), 'utf8'),
    );
    expect((await dump([fx('module.btf'), '--base', vmlinuxBtf])).bytes.toString()).toBe(
      readFileSync(fx('module.bpftool.txt'), 'utf8'),
    );
  });

  it('reports bad input in one line with exit status 2 and writes nothing', async () => {
    const cases: [string[], string][] = [
      [['/nonexistent'], 'kmodel btf dump: /nonexistent: no such file\n'],
      [[dir], `kmodel btf dump: ${dir}: is a directory\n`],
      [[fx('prog.c')], `kmodel btf dump: ${fx('prog.c')}: BTF: bad magic 0x2a2f (want 0xeb9f) (at byte 0)\n`],
      [[vmlinuxBtf, '--format', 'json'], "kmodel btf dump: --format must be raw or c, got 'json'\n"],
      [[], 'kmodel btf dump: give exactly one BTF FILE\n'],
      [[vmlinuxBtf, '--bogus', 'x'], 'kmodel btf dump: unknown option --bogus\n'],
    ];
    for (const [argv, msg] of cases) {
      const r = await dump(argv);
      expect(r.code).toBe(2);
      expect(r.err).toBe(msg);
      expect(r.bytes.length).toBe(0);
    }
  });
});
