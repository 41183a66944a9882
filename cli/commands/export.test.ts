import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumPath } from '../../main/host/chromium';
import { pngSize } from '../../main/host/export';
import { readPngText } from '../../renderer/src/lib/png-text';
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
  it('writes svg, png, md and pdf naming the model’s members and what drew them', {
    timeout: 240_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-export-'));
    const file = join(dir, 'x.yaml');
    copyFileSync(resolve(root, 'test/fixtures/model/byo-demo.yaml'), file);
    const out = join(dir, 'out');
    let stdout = '';
    const code = await exportCmd.run({
      argv: [file, '--format', 'svg,png,md,pdf', '--out', out],
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

    // The PNG: the graph at 2 px per unit with a provenance band below it, and the same
    // facts as tEXt chunks (valid CRCs) that image tools read.
    const png = new Uint8Array(readFileSync(join(out, 'x-graph.png')));
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const text = Object.fromEntries(readPngText(png).map((e) => [e.keyword, e]));
    expect(Object.keys(text)).toEqual(['Title', 'Software', 'Source', 'Creation Time', 'Comment']);
    expect(Object.values(text).every((e) => e.crcOk)).toBe(true);
    expect(text.Software!.text).toMatch(/^kmodel \d+\.\d+\.\d+/);
    expect(text.Source!.text).toMatch(/^Linux \S+ \(x86_64\), reference BTF sha256 [0-9a-f]{64}$/);
    expect(text['Creation Time']!.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(text.Comment!.text).toContain(`model sha256: ${sha}`);
    expect(text.Comment!.text).toContain(`model: ${file}`);
    expect(text.Comment!.text).toMatch(/\nprofiles: \S/);
    const w = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    const h = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
    const size = pngSize(png)!;
    expect(size.width).toBeGreaterThanOrEqual(2 * w);
    // Three 15-unit lines and 8 units of padding above and below.
    expect(size.height).toBe(2 * (h + 3 * 15 + 16));
    expect(stdout).toMatch(new RegExp(`x-graph\\.png\\t\\d+ bytes\\t${size.width}x${size.height}`));
  });
});
