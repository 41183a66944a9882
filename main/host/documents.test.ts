import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DiskStateCache,
  DocumentError,
  FileAccess,
  hashText,
  ModelDocument,
  removeStaleSaveTemps,
  saveTextAtomic,
} from './documents';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kmodel-docs-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

describe('saveTextAtomic', () => {
  it('replaces the file and leaves no temp file behind', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'old: 1\n');
    const st = saveTextAtomic(p, 'new: 2\n');
    expect(readFileSync(p, 'utf8')).toBe('new: 2\n');
    expect(st.hash).toBe(hashText('new: 2\n'));
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });

  it('keeps the original when the write fails, and says where and why', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'keep: me\n');
    // A directory squatting on every temp name is not portable; a read-only
    // folder is (except for root, which ignores modes): use a missing folder for root.
    if (isRoot) {
      const missing = join(dir, 'gone', 'm.yaml');
      expect(() => saveTextAtomic(missing, 'x')).toThrow(/cannot save .*gone.*does not exist/);
    } else {
      chmodSync(dir, 0o555);
      expect(() => saveTextAtomic(p, 'lost: yes\n')).toThrow(/cannot save .*m\.yaml: EACCES.*unchanged/);
      chmodSync(dir, 0o755);
    }
    expect(readFileSync(p, 'utf8')).toBe('keep: me\n');
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });

  it('keeps the original when the target cannot be replaced (a folder in its place)', () => {
    const p = join(dir, 'm.yaml');
    mkdirSync(p);
    writeFileSync(join(p, 'inside'), 'x');
    let err: unknown;
    try {
      saveTextAtomic(p, 'text');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DocumentError);
    expect((err as Error).message).toMatch(/cannot save .*m\.yaml: E[A-Z]+:.*unchanged/);
    expect(readFileSync(join(p, 'inside'), 'utf8')).toBe('x');
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });

  it('refuses to overwrite a file that changed since it was read, unless forced', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const seen = hashText('a: 1\n');
    writeFileSync(p, 'a: 2\n');
    expect(() => saveTextAtomic(p, 'mine\n', { expectedHash: seen })).toThrow(/conflict: .*changed on disk/);
    expect(readFileSync(p, 'utf8')).toBe('a: 2\n');
    saveTextAtomic(p, 'mine\n', { expectedHash: seen, force: true });
    expect(readFileSync(p, 'utf8')).toBe('mine\n');
  });

  it('refuses Save As over an existing file (expected absent)', () => {
    const p = join(dir, 'other.yaml');
    writeFileSync(p, 'theirs\n');
    expect(() => saveTextAtomic(p, 'mine\n', { expectedHash: null })).toThrow(/conflict/);
    expect(readFileSync(p, 'utf8')).toBe('theirs\n');
  });

  it('removes temp files a killed save left behind, keeping those of live processes', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'old\n');
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    const dead = join(dir, `.m.yaml.${2 ** 22 + 1}.lk3x9.tmp`);
    const live = join(dir, `.m.yaml.${process.pid}.lk3xa.tmp`);
    const other = join(dir, `.n.yaml.${2 ** 22 + 1}.lk3x9.tmp`);
    for (const f of [dead, live, other]) writeFileSync(f, 'half');
    saveTextAtomic(p, 'new\n');
    expect(readFileSync(p, 'utf8')).toBe('new\n');
    expect(readdirSync(dir).sort()).toEqual([
      '.m.yaml.' + process.pid + '.lk3xa.tmp',
      '.n.yaml.4194305.lk3x9.tmp',
      'm.yaml',
    ]);
    expect(removeStaleSaveTemps(join(dir, 'n.yaml'))).toBe(1);
  });
});

describe('ModelDocument', () => {
  it('tracks dirty state against the disk', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const d = ModelDocument.open(p);
    expect(d.dirty).toBe(false);
    d.edit('a: 2\n');
    expect(d.dirty).toBe(true);
    d.save();
    expect(d.dirty).toBe(false);
    expect(readFileSync(p, 'utf8')).toBe('a: 2\n');
  });

  it('reloads a clean document when the file changes on disk', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const d = ModelDocument.open(p);
    expect(d.checkDisk()).toBeNull();
    writeFileSync(p, 'a: 3\n');
    expect(d.checkDisk()).toBe('reloaded');
    expect(d.text).toBe('a: 3\n');
    expect(d.dirty).toBe(false);
  });

  it('flags a conflict for a dirty document, keeps the edits, and refuses a plain save', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const d = ModelDocument.open(p);
    d.edit('a: mine\n');
    writeFileSync(p, 'a: theirs\n');
    expect(d.checkDisk()).toBe('conflict');
    expect(d.conflict).toBe(true);
    expect(d.text).toBe('a: mine\n');
    expect(() => d.save()).toThrow(DocumentError);
    expect(readFileSync(p, 'utf8')).toBe('a: theirs\n');
    d.save(true);
    expect(readFileSync(p, 'utf8')).toBe('a: mine\n');
    expect(d.conflict).toBe(false);
  });

  it('notices deletion', () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const d = ModelDocument.open(p);
    rmSync(p);
    expect(d.checkDisk()).toBe('deleted');
  });

  it('saves an untitled document with Save As', () => {
    const d = ModelDocument.untitled('n: 1\n');
    expect(d.dirty).toBe(true);
    expect(() => d.save()).toThrow(/Save As/);
    const p = join(dir, 'new.yaml');
    d.saveAs(p);
    expect(d.path).toBe(p);
    expect(d.dirty).toBe(false);
    expect(readFileSync(p, 'utf8')).toBe('n: 1\n');
  });

  it('watches the file and reloads on an outside rename-over (as editors save)', async () => {
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    const d = ModelDocument.open(p);
    const events: string[] = [];
    const got = new Promise<void>((done) =>
      d.watch((e) => {
        events.push(e);
        done();
      }, 20),
    );
    saveTextAtomic(p, 'a: outside\n');
    await got;
    d.unwatch();
    expect(events).toEqual(['reloaded']);
    expect(d.text).toBe('a: outside\n');
  });
});

describe('DiskStateCache', () => {
  it('follows content changes, even with the old mtime and size', async () => {
    const { utimesSync, statSync } = await import('node:fs');
    const p = join(dir, 'm.yaml');
    writeFileSync(p, 'a: 1\n');
    utimesSync(p, 1000, 1000); // whole seconds: restorable exactly
    const c = new DiskStateCache();
    expect(c.state(p).hash).toBe(hashText('a: 1\n'));
    writeFileSync(p, 'a: 2\n');
    utimesSync(p, 1000, 1000);
    expect(statSync(p).mtimeMs).toBe(1_000_000);
    // The watch event marks the entry stale; wait for it to arrive.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.state(p).hash).toBe(hashText('a: 2\n'));
    saveTextAtomic(p, 'a: 3\n');
    expect(c.state(p).hash).toBe(hashText('a: 3\n'));
    rmSync(p);
    expect(c.state(p).exists).toBe(false);
    c.close();
  });
});

describe('FileAccess', () => {
  it('allows model files inside the roots only', () => {
    const models = join(dir, 'models');
    mkdirSync(models);
    const a = new FileAccess([models]);
    expect(a.check(join(models, 'x.yaml'))).toBe(join(models, 'x.yaml'));
    expect(() => a.check(join(dir, 'x.yaml'))).toThrow(/outside the folders/);
    expect(() => a.check(join(models, '..', 'x.yaml'))).toThrow(/outside/);
    expect(() => a.check(join(models, 'x.txt'))).toThrow(/only \.yaml/);
    expect(() => a.check('models/x.yaml')).toThrow(/absolute/);
    a.allowFile(join(dir, 'x.yaml'));
    expect(a.check(join(dir, 'x.yaml'))).toBe(join(dir, 'x.yaml'));
  });

  it('does not follow a symlink out of a root', () => {
    const models = join(dir, 'models');
    mkdirSync(models);
    writeFileSync(join(dir, 'secret.yaml'), 's: 1\n');
    symlinkSync(join(dir, 'secret.yaml'), join(models, 'link.yaml'));
    expect(() => new FileAccess([models]).check(join(models, 'link.yaml'))).toThrow(/outside/);
  });

  it('allows every model path for a desktop host', () => {
    expect(new FileAccess(null).check('/anywhere/m.yml')).toBe('/anywhere/m.yml');
  });
});
