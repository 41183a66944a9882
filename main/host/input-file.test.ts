import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS, InputFileError, type InputKind, readInputFile, readInputText } from './input-file';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-input-'));

function errorOf(f: () => unknown): InputFileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputFileError);
    return e as InputFileError;
  }
  throw new Error('no error');
}

describe('readInputFile', () => {
  it('returns exactly the file, around the initial buffer size and for files whose size lies', () => {
    for (const n of [0, 1, 65535, 65536, 65537, 200000]) {
      const p = join(dir, `f${n}`);
      const data = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      writeFileSync(p, data);
      expect(Buffer.from(readInputFile(p, 'program')).equals(Buffer.from(data))).toBe(true);
    }
    // procfs reports size 0 for files with content.
    expect(new TextDecoder().decode(readInputFile('/proc/self/limits', 'model'))).toBe(
      readFileSync('/proc/self/limits', 'utf8'),
    );
  });

  it('names a missing path, a directory and a device in one line', () => {
    expect(errorOf(() => readInputFile(join(dir, 'nope'), 'btf')).message).toBe(
      `${join(dir, 'nope')}: no such file`,
    );
    expect(errorOf(() => readInputFile(dir, 'btf')).reason).toBe('is a directory');
    expect(errorOf(() => readInputFile('/dev/zero', 'program')).reason).toBe(
      'is a device, not a regular file',
    );
  });

  it.each(Object.keys(INPUT_LIMITS) as InputKind[])(
    'refuses a %s file over its limit before reading it',
    (kind) => {
      const p = join(dir, `huge-${kind}`);
      writeFileSync(p, '');
      truncateSync(p, INPUT_LIMITS[kind] + 1); // sparse: costs no disk
      expect(errorOf(() => readInputFile(p, kind)).reason).toMatch(
        new RegExp(`larger than the \\d+ MiB limit for ${kind} files`),
      );
    },
  );

  it('reads a file exactly at its limit', () => {
    const p = join(dir, 'at-limit.yaml');
    writeFileSync(p, '');
    truncateSync(p, INPUT_LIMITS.model);
    expect(readInputFile(p, 'model').length).toBe(INPUT_LIMITS.model);
  });

  it('stops reading a pipe at the limit', async () => {
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `head -c ${INPUT_LIMITS.model + 4096} /dev/zero > ${fifo}`]);
    const done = new Promise((r) => writer.on('exit', r));
    expect(errorOf(() => readInputFile(fifo, 'model')).reason).toBe(
      'larger than the 8 MiB limit for model files',
    );
    writer.kill();
    await done;
  });
});

describe('readInputText', () => {
  it('decodes UTF-8 and refuses other bytes', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'name: é\n');
    expect(readInputText(good, 'model')).toBe('name: é\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, Buffer.from([0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect(errorOf(() => readInputText(bad, 'model')).message).toBe(`${bad}: not UTF-8 text`);
  });
});
