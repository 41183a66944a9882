import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import type {
  ApiEnvelope,
  ModelDocumentResult,
  ModelFileStatus,
  SaveModelResult,
  ValidateModelResult,
} from './types';

const root = findPackageRoot(__dirname);
const dir = mkdtempSync(join(tmpdir(), 'kmodel-api-docs-'));
const outside = mkdtempSync(join(tmpdir(), 'kmodel-api-out-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const file = join(dir, 'tcp_cc.yaml');
copyFileSync(join(root, 'models/tcp_cc.yaml'), file);

// As `kmodel serve <dir>` runs it: models/ and `dir` only.
const api = inProcessBackend(root, [dir]);

async function ok<T>(method: string, params: unknown): Promise<T> {
  const env = await api.call(method, params);
  if (!env.ok) throw new Error(env.error.message);
  return env.result as T;
}
async function refused(method: string, params: unknown): Promise<string> {
  const env: ApiEnvelope = await api.call(method, params);
  expect(env.ok).toBe(false);
  return (env as { error: { message: string } }).error.message;
}

describe('model document API', () => {
  it('opens a model by path with its hash and no errors', async () => {
    const d = await ok<ModelDocumentResult>('openModelFile', { path: file });
    expect(d.path).toBe(file);
    expect(d.text).toBe(readFileSync(file, 'utf8'));
    expect(d.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('opens a shipped model by name', async () => {
    const d = await ok<ModelDocumentResult>('openModelFile', { path: 'qdisc' });
    expect(d.path).toBe(join(root, 'models/qdisc.yaml'));
    expect(d.text).toContain('subsystem:');
  });

  it('reports a broken line with its line and column', async () => {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('kernel:'));
    lines[at] = 'kernal: v5.6';
    const r = await ok<ValidateModelResult>('validateModelText', { text: lines.join('\n'), path: file });
    expect(r.errors).toBeGreaterThan(0);
    const d = r.diagnostics.find((x) => x.line === at + 1);
    expect(d?.message).toMatch(/kernal/);
    expect(d?.col).toBe(1);
    expect(d?.file).toBe('tcp_cc.yaml');
  });

  it('gives a new document from a template that checks clean', async () => {
    const d = await ok<ModelDocumentResult>('newModel', {});
    expect(d.path).toBeNull();
    expect(d.hash).toBeNull();
    expect(d.diagnostics).toEqual([]);
  });

  it('saves atomically, then refuses a save against a stale hash', async () => {
    const d = await ok<ModelDocumentResult>('openModelFile', { path: file });
    const edited = d.text.replace('title: ', 'title: Edited ');
    const s = await ok<SaveModelResult>('saveModel', { path: file, text: edited, expectedHash: d.hash });
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(s.hash).not.toBe(d.hash);
    expect(readdirSync(dir)).toEqual(['tcp_cc.yaml']);

    const st = await ok<ModelFileStatus>('modelFileStatus', { path: file, hash: s.hash });
    expect(st.changed).toBe(false);
    writeFileSync(file, `${edited}# touched outside\n`);
    const st2 = await ok<ModelFileStatus>('modelFileStatus', { path: file, hash: s.hash });
    expect(st2.changed).toBe(true);

    const msg = await refused('saveModel', { path: file, text: 'x: 1\n', expectedHash: s.hash });
    expect(msg).toMatch(/conflict: .*tcp_cc\.yaml changed on disk/);
    expect(readFileSync(file, 'utf8')).toContain('# touched outside');
    await ok('saveModel', { path: file, text: edited, expectedHash: s.hash, force: true });
    expect(readFileSync(file, 'utf8')).toBe(edited);
  });

  it('Save As refuses to clobber an existing file', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'theirs: 1\n');
    expect(await refused('saveModel', { path: other, text: 'x: 1\n', expectedHash: null })).toMatch(
      /conflict/,
    );
    rmSync(other);
  });

  it('keeps a browser out of files it was not given', async () => {
    const secret = join(outside, 'secret.yaml');
    writeFileSync(secret, 'secret: 1\n');
    expect(await refused('openModelFile', { path: secret })).toMatch(/outside the folders/);
    expect(await refused('openModelFile', { path: '/etc/passwd' })).toMatch(/only \.yaml/);
    expect(
      await refused('openModelFile', { path: `${dir}/../${outside.split('/').pop()}/secret.yaml` }),
    ).toMatch(/outside/);
    expect(await refused('saveModel', { path: join(outside, 'new.yaml'), text: 'a: 1\n' })).toMatch(
      /outside/,
    );
    expect(readdirSync(outside)).toEqual(['secret.yaml']);
    expect(await refused('modelFileStatus', { path: secret, hash: null })).toMatch(/outside/);
  });

  it('validates params', async () => {
    expect(await refused('saveModel', { path: file })).toMatch(/saveModel: text/);
    expect(await refused('modelFileStatus', { path: file, hash: 'xyz' })).toMatch(/sha256/);
  });
});
