// Model documents on disk: open, atomic save, change detection, and the access
// rule for hosts whose caller is untrusted (`kmodel serve`). Electron-free, so
// the API worker and tests use it as is.

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  type FSWatcher,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  watch,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

export const hashText = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface DiskState {
  exists: boolean;
  hash: string | null;
  mtimeMs: number | null;
  size: number | null;
}

/** What is on disk now (hash of the content: mtime alone misses same-second rewrites). */
export function diskState(path: string): DiskState {
  try {
    const st = statSync(path);
    const text = readFileSync(path, 'utf8');
    return { exists: true, hash: hashText(text), mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return { exists: false, hash: null, mtimeMs: null, size: null };
  }
}

/**
 * diskState for files polled often (the editor asks every second): the content
 * is re-read and hashed only when mtime or size moved, or an fs.watch event
 * said the file was touched (a rewrite within the clock's granularity keeps
 * both). At most `max` files are watched.
 */
export class DiskStateCache {
  private readonly entries = new Map<
    string,
    { mtimeMs: number; size: number; hash: string; stale: boolean; watcher?: FSWatcher }
  >();

  constructor(private readonly max = 64) {}

  state(path: string): DiskState {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      this.drop(path);
      return { exists: false, hash: null, mtimeMs: null, size: null };
    }
    const e = this.entries.get(path);
    if (e && !e.stale && e.mtimeMs === st.mtimeMs && e.size === st.size)
      return { exists: true, hash: e.hash, mtimeMs: e.mtimeMs, size: e.size };
    const fresh = diskState(path);
    if (!fresh.exists) {
      this.drop(path);
      return fresh;
    }
    this.drop(path);
    const entry = { mtimeMs: fresh.mtimeMs!, size: fresh.size!, hash: fresh.hash!, stale: false } as {
      mtimeMs: number;
      size: number;
      hash: string;
      stale: boolean;
      watcher?: FSWatcher;
    };
    try {
      // A rename (editors' save-by-rename) ends this watch: stale, re-read, re-watched next time.
      entry.watcher = watch(path, () => {
        entry.stale = true;
      });
      entry.watcher.on('error', () => {
        entry.stale = true;
      });
      entry.watcher.unref();
    } catch {
      entry.stale = true; // cannot watch: compare content every time
    }
    this.entries.set(path, entry);
    while (this.entries.size > this.max) this.drop(this.entries.keys().next().value!);
    return fresh;
  }

  drop(path: string): void {
    this.entries.get(path)?.watcher?.close();
    this.entries.delete(path);
  }

  close(): void {
    for (const p of [...this.entries.keys()]) this.drop(p);
  }
}

export class DocumentError extends Error {
  constructor(
    readonly kind: 'conflict' | 'io' | 'access',
    message: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

const why = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}: ${err.message.replace(/^\w+: /, '')}` : String(err?.message ?? e);
};

export interface SaveOptions {
  /** Hash of the text the editor started from; the save is refused if the file now differs. */
  expectedHash?: string | null;
  force?: boolean;
}

const saveTempPrefix = (target: string) => `.${basename(target)}.`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files that saves of `target` left behind when their process was
 * killed between write and rename (those of live processes may still be renamed).
 * Returns how many it removed.
 */
export function removeStaleSaveTemps(target: string): number {
  const prefix = saveTempPrefix(resolve(target));
  const dir = dirname(resolve(target));
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-z]+\.tmp$/.exec(name.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/**
 * Writes `text` to `path` atomically: a temp file in the same directory (same
 * filesystem, so rename is atomic), fsync'ed, then renamed over the target.
 * On any failure the original is untouched and the temp file removed.
 */
export function saveTextAtomic(path: string, text: string, opts: SaveOptions = {}): DiskState {
  const target = resolve(path);
  if (!opts.force && opts.expectedHash !== undefined) {
    const now = diskState(target);
    const expected = opts.expectedHash;
    if (expected === null ? now.exists : now.hash !== expected) {
      throw new DocumentError(
        'conflict',
        `conflict: ${target} ${now.exists ? 'changed' : 'was deleted'} on disk since it was opened; reload it or save again to overwrite`,
      );
    }
  }
  const dir = dirname(target);
  if (!existsSync(dir)) throw new DocumentError('io', `cannot save ${target}: folder ${dir} does not exist`);
  removeStaleSaveTemps(target);
  const tmp = join(dir, `${saveTempPrefix(target)}${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', existsSync(target) ? statSync(target).mode & 0o777 : 0o644);
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new DocumentError('io', `cannot save ${target}: ${why(e)}; the file on disk is unchanged`);
  }
  // The rename is durable only once the directory entry is.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the data itself is synced
  }
  return diskState(target);
}

export interface DocumentSnapshot {
  path: string | null;
  text: string;
  /** Hash of the text as last read from or written to disk; null for a new document. */
  diskHash: string | null;
  dirty: boolean;
  conflict: boolean;
}

export type DocumentEvent = 'reloaded' | 'conflict' | 'deleted';

/**
 * One open model file: its text, whether it differs from disk, and what to do
 * when the file changes under it (reload when clean, flag a conflict when dirty).
 */
export class ModelDocument {
  path: string | null;
  text: string;
  diskHash: string | null;
  conflict = false;
  private watcher?: FSWatcher;
  private timer?: ReturnType<typeof setTimeout>;

  private constructor(path: string | null, text: string, diskHash: string | null) {
    this.path = path;
    this.text = text;
    this.diskHash = diskHash;
  }

  static open(path: string): ModelDocument {
    const p = resolve(path);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw new DocumentError('io', `cannot open ${p}: ${why(e)}`);
    }
    return new ModelDocument(p, text, hashText(text));
  }

  static untitled(text: string): ModelDocument {
    return new ModelDocument(null, text, null);
  }

  get dirty(): boolean {
    return this.diskHash === null ? true : hashText(this.text) !== this.diskHash;
  }

  snapshot(): DocumentSnapshot {
    return {
      path: this.path,
      text: this.text,
      diskHash: this.diskHash,
      dirty: this.dirty,
      conflict: this.conflict,
    };
  }

  edit(text: string): void {
    this.text = text;
  }

  /** Saves to its own path; refuses on a conflict unless forced. */
  save(force = false): DiskState {
    if (!this.path) throw new DocumentError('io', 'the document has no file yet: use Save As');
    const st = saveTextAtomic(this.path, this.text, { expectedHash: this.diskHash, force });
    this.diskHash = st.hash;
    this.conflict = false;
    return st;
  }

  /** Saves under a new path (never overwriting a different file silently unless forced). */
  saveAs(path: string, force = false): DiskState {
    const p = resolve(path);
    const st = saveTextAtomic(p, this.text, {
      expectedHash: p === this.path ? this.diskHash : null,
      force,
    });
    this.path = p;
    this.diskHash = st.hash;
    this.conflict = false;
    return st;
  }

  /** Re-reads the file, dropping local edits. */
  reload(): void {
    if (!this.path) return;
    const text = readFileSync(this.path, 'utf8');
    this.text = text;
    this.diskHash = hashText(text);
    this.conflict = false;
  }

  /**
   * Compares the disk with what we last saw: a clean document follows the file,
   * a dirty one is flagged as in conflict. Returns what happened, if anything.
   */
  checkDisk(): DocumentEvent | null {
    if (!this.path) return null;
    const st = diskState(this.path);
    if (!st.exists) {
      if (this.diskHash === null) return null;
      this.conflict = true;
      return 'deleted';
    }
    if (st.hash === this.diskHash) return null;
    if (!this.dirty) {
      this.reload();
      return 'reloaded';
    }
    this.conflict = true;
    return 'conflict';
  }

  /**
   * Watches the file's folder (editors often replace files by rename, which
   * ends a watch on the file itself) and runs checkDisk after changes settle.
   */
  watch(onEvent: (e: DocumentEvent) => void, settleMs = 50): void {
    this.unwatch();
    if (!this.path) return;
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), (_type, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const e = this.checkDisk();
        if (e) onEvent(e);
      }, settleMs);
    });
  }

  unwatch(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/**
 * Which files an untrusted caller may open or save: model files (.yaml/.yml)
 * inside the given roots (folders, or single files). Symlinks are resolved so a
 * link inside a root cannot point outside it.
 */
export class FileAccess {
  private readonly roots: string[];
  private readonly files = new Set<string>();

  /** `null` roots: every path (a desktop host whose paths come from native dialogs). */
  constructor(roots: readonly string[] | null) {
    this.roots = roots ? roots.map((r) => real(resolve(r))) : [];
    this.any = roots === null;
  }

  private readonly any: boolean;

  allowFile(path: string): void {
    this.files.add(real(resolve(path)));
  }

  /** The resolved path if allowed; else throws an access error naming the rule. */
  check(path: string): string {
    if (!isAbsolute(path)) throw new DocumentError('access', `${path}: give an absolute path`);
    const p = resolve(path);
    if (!/\.ya?ml$/i.test(p)) throw new DocumentError('access', `${p}: only .yaml/.yml model files`);
    if (this.any) return p;
    const r = real(p);
    if (this.files.has(r)) return p;
    if (this.roots.some((root) => r === root || r.startsWith(root + sep))) return p;
    throw new DocumentError(
      'access',
      `${p}: outside the folders this server may use (models/ and the paths given to \`kmodel serve\`)`,
    );
  }
}

/** realpath of the path, or of its nearest existing ancestor joined with the rest (for new files). */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    const up = dirname(p);
    return up === p ? p : join(real(up), basename(p));
  }
}
