import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumPath } from '../../main/host/chromium';
import { CliError } from '../errors';
import { resolveModelArg } from '../model-arg';
import { exportCmd, exportModelId, parseFormats } from './export';

const root = resolve(__dirname, '../..');
const models = resolve(root, 'models');

describe('kmodel export arguments', () => {
  it('formats: all by default, comma lists, unknown refused', () => {
    expect(parseFormats(undefined)).toEqual(['svg', 'png', 'md', 'txt', 'pdf']);
    expect(parseFormats('pdf,svg,pdf')).toEqual(['pdf', 'svg']);
    expect(() => parseFormats('svg,gif')).toThrow(CliError);
  });

  it('model: a shipped name stays a name, any other file is named by its absolute path', () => {
    expect(exportModelId(resolveModelArg('qdisc', models))).toBe('qdisc');
    expect(exportModelId(resolveModelArg(resolve(models, 'qdisc.yaml'), models))).toBe('qdisc');
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-export-'));
    const file = join(dir, 'mine.yaml');
    copyFileSync(resolve(root, 'test/fixtures/model/byo-demo.yaml'), file);
    expect(exportModelId(resolveModelArg(file, models))).toBe(file);
    expect(() => resolveModelArg(join(dir, 'absent.yaml'), models)).toThrow(/no such file/);
  });
});

// Draws with the built web renderer in headless Chromium (npm test builds the renderer first).
const canDraw = existsSync(chromiumPath()) && existsSync(join(root, 'out/renderer-web/index.html'));

describe.skipIf(!canDraw)('kmodel export of a model file outside models/', () => {
  it('writes svg, md and pdf naming the model’s members', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-export-'));
    const file = join(dir, 'x.yaml');
    copyFileSync(resolve(root, 'test/fixtures/model/byo-demo.yaml'), file);
    const out = join(dir, 'out');
    let stdout = '';
    const code = await exportCmd.run({
      argv: [file, '--format', 'svg,md,pdf', '--out', out],
      stdout: (t) => (stdout += t),
      stderr: () => {},
    });
    expect(code).toBe(0);
    const svg = readFileSync(join(out, 'x-graph.svg'), 'utf8');
    const md = readFileSync(join(out, 'x-report.md'), 'utf8');
    const pdf = readFileSync(join(out, 'x-report.pdf'));
    for (const text of [svg, md]) {
      expect(text).toContain('classify');
      expect(text).toContain('reset');
      expect(text).toContain('demo_account');
    }
    expect(md).toContain('x-graph.svg');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(stdout).toMatch(/x-report\.pdf\t\d+ bytes\t\d+ pages/);
  });
});
