import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './errors';
import { modelBaseName, resolveModelArg, shippedModelNames } from './model-arg';

const shipped = resolve(__dirname, '../models');
const fixture = resolve(__dirname, '../test/fixtures/model/byo-demo.yaml');

describe('MODEL: a path or a shipped name', () => {
  it('a shipped name resolves to its file in models/', () => {
    const m = resolveModelArg('qdisc', shipped);
    expect(m).toMatchObject({ path: join(shipped, 'qdisc.yaml'), name: 'qdisc', shipped: true });
    expect(shippedModelNames(shipped)).toContain('tcp_cc');
  });

  it('a file anywhere resolves to its absolute path, named after the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-arg-'));
    const file = join(dir, 'mine.yaml');
    copyFileSync(fixture, file);
    const m = resolveModelArg(file, shipped);
    expect(m).toMatchObject({ path: file, name: 'mine', shipped: false, display: file });
    // A path into models/ is the shipped model.
    expect(resolveModelArg(join(shipped, 'tcp_cc.yaml'), shipped).shipped).toBe(true);
  });

  it('an unknown name lists the shipped models; a missing path or a folder says so', () => {
    expect(() => resolveModelArg('no_such_model', shipped)).toThrow(CliError);
    expect(() => resolveModelArg('no_such_model', shipped)).toThrow(/no shipped model.*qdisc.*tcp_cc/);
    expect(() => resolveModelArg('/nowhere/x.yaml', shipped)).toThrow(/x\.yaml: no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-arg-'));
    mkdirSync(join(dir, 'sub.yaml'));
    expect(() => resolveModelArg(join(dir, 'sub.yaml'), shipped)).toThrow(/is a directory/);
    writeFileSync(join(dir, 'plain'), 'x');
    expect(resolveModelArg(join(dir, 'plain'), shipped).name).toBe('plain');
  });

  it('base names drop .yaml / .yml only', () => {
    expect(modelBaseName('/a/b/x.v2.yml')).toBe('x.v2');
    expect(modelBaseName('c\\d.yaml')).toBe('d');
  });
});
