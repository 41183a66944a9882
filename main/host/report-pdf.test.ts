import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  electronPdfOptions,
  isModelName,
  isModelRef,
  isPdf,
  PDF_PAGE,
  pdfPageCount,
  type ReportState,
  reportPdfFileName,
  reportRoute,
  reportStateScript,
  type SavePdfHost,
  saveReportPdf,
  waitForReport,
} from './report-pdf';

/** A tiny DOM: the report element's attributes and its fatal-error text. */
function fakeDocument(report: { model: string; ready: boolean; error?: string } | null) {
  const el = report && {
    getAttribute: (a: string) =>
      a === 'data-model' ? report.model : a === 'data-ready' ? String(report.ready) : null,
    querySelector: (sel: string) =>
      sel === '[data-testid=report-error]' && report.error ? { textContent: ` ${report.error}\n` } : null,
  };
  return { querySelector: (sel: string) => (sel === '[data-testid=report]' ? el : null) };
}

const g = globalThis as Record<string, unknown>;
afterEach(() => {
  delete g.document;
  delete g.window;
});

/** Runs the page script against a fake page, the way executeJavaScript/page.evaluate would. */
function stateOf(model: string, report: Parameters<typeof fakeDocument>[0], exported = true): ReportState {
  g.document = fakeDocument(report);
  g.window = exported ? { kmodelExport: {} } : {};
  return new Function(`return ${reportStateScript(model)}`)() as ReportState;
}

/** A clock that moves only when the waiter sleeps. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

/** A minimal real PDF: header, two page objects under one /Pages. */
const PDF = new TextEncoder().encode(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>> endobj\n3 0 obj <</Type /Page /Parent 2 0 R>> endobj\n4 0 obj <</Type/Page /Parent 2 0 R>> endobj\n%%EOF\n',
);

function host(over: Partial<SavePdfHost> = {}, state: ReportState = { state: 'ready' }) {
  const calls: string[] = [];
  const written: { path: string; data: Uint8Array }[] = [];
  const h: SavePdfHost = {
    evaluate: async (script) => {
      calls.push('evaluate');
      expect(script).toContain('data-ready');
      return state;
    },
    askPath: async (name) => {
      calls.push(`ask ${name}`);
      return `/tmp/${name}`;
    },
    print: async (opts) => {
      calls.push(`print ${opts.pageSize}`);
      return PDF;
    },
    write: (path, data) => void written.push({ path, data }),
    wait: fakeClock(),
    ...over,
  };
  return { h, calls, written };
}

describe('report PDF: names, route, page setup', () => {
  it('accepts models/ file names and refuses paths', () => {
    for (const n of ['qdisc', 'tcp_cc', 'bpf_testmod_v2_kfunc', 'a.b-c']) expect(isModelName(n)).toBe(true);
    for (const n of ['', '../etc/passwd', 'a/b', 'a\\b', '.hidden', 'x..y', 'a b', 3, null, 'q'.repeat(101)])
      expect(isModelName(n)).toBe(false);
  });

  it('a report may also name a model file by absolute path, never a relative one', () => {
    for (const r of ['qdisc', '/tmp/x.yaml', '/a b/My Model.yml', 'C:\\m\\x.yaml'])
      expect(isModelRef(r)).toBe(true);
    for (const r of ['a/b.yaml', '../x.yaml', '/tmp/x.txt', '/tmp/x\0.yaml', `/${'a'.repeat(4096)}.yaml`, 3])
      expect(isModelRef(r)).toBe(false);
  });

  it('names the PDF after the model file', () => {
    expect(reportPdfFileName('/tmp/dir/my_model.yaml')).toBe('my_model-report.pdf');
    expect(reportPdfFileName('/tmp/a "b".yml')).toBe('a__b_-report.pdf');
  });

  it('names the file and the route after the model', () => {
    expect(reportPdfFileName('qdisc')).toBe('qdisc-report.pdf');
    expect(reportRoute('qdisc')).toBe('#report/qdisc');
    expect(reportRoute('a b')).toBe('#report/a%20b');
  });

  it("Electron's margins are the Playwright margins in inches", () => {
    const o = electronPdfOptions();
    expect(o.pageSize).toBe('A4');
    expect(o.printBackground).toBe(true);
    expect(o.margins.top).toBeCloseTo(12 / 25.4, 6);
    expect(o.margins.left).toBeCloseTo(10 / 25.4, 6);
    expect(PDF_PAGE.margin.bottom).toBe('12mm');
  });

  it('counts /Type /Page objects, not /Pages', () => {
    expect(pdfPageCount(PDF)).toBe(2);
    expect(isPdf(PDF)).toBe(true);
    expect(isPdf(new TextEncoder().encode('<html>'))).toBe(false);
  });

  it('counts the pages of a PDF Chromium wrote (chromium --print-to-pdf of one paragraph)', () => {
    const pdf = readFileSync(join(__dirname, '../../test/fixtures/report-pdf/one-page.pdf'));
    expect(isPdf(pdf)).toBe(true);
    expect(pdfPageCount(pdf)).toBe(1);
  });
});

describe('report PDF: the ready condition', () => {
  it('reads the report element of the asked model', () => {
    expect(stateOf('qdisc', { model: 'qdisc', ready: true })).toEqual({ state: 'ready' });
    expect(stateOf('qdisc', { model: 'qdisc', ready: true }, false)).toEqual({ state: 'loading' });
    expect(stateOf('qdisc', { model: 'qdisc', ready: false })).toEqual({ state: 'loading' });
    expect(stateOf('qdisc', { model: 'tcp_cc', ready: true })).toEqual({ state: 'absent' });
    expect(stateOf('qdisc', null)).toEqual({ state: 'absent' });
    expect(stateOf('qdisc', { model: 'qdisc', ready: false, error: 'boom' })).toEqual({
      state: 'error',
      message: 'boom',
    });
  });

  it('quotes the model name into the script', () => {
    expect(stateOf(`q'"\\`, { model: `q'"\\`, ready: true })).toEqual({ state: 'ready' });
  });

  it('waits through loading, fails on an error, an absent report or a timeout', async () => {
    const seq = (...s: ReportState[]) => {
      let i = 0;
      return async () => s[Math.min(i++, s.length - 1)]!;
    };
    const loading: ReportState = { state: 'loading' };
    await expect(
      waitForReport(seq(loading, loading, { state: 'ready' }), 'qdisc', fakeClock()),
    ).resolves.toBeUndefined();
    await expect(
      waitForReport(seq(loading, { state: 'error', message: "no model 'x'" }), 'x', fakeClock()),
    ).rejects.toThrow(/x report did not finish drawing: no model 'x'/);
    await expect(
      waitForReport(seq({ state: 'absent' }), 'qdisc', { ...fakeClock(), absentMs: 1000 }),
    ).rejects.toThrow(/no report of 'qdisc'/);
    // Absent for a moment (the route is still mounting), then ready.
    await expect(
      waitForReport(seq({ state: 'absent' }, { state: 'ready' }), 'qdisc', fakeClock()),
    ).resolves.toBeUndefined();
    await expect(waitForReport(seq(loading), 'qdisc', { ...fakeClock(), timeoutMs: 5000 })).rejects.toThrow(
      /did not finish drawing in 5 s/,
    );
  });
});

describe("report PDF: Electron's save flow", () => {
  it('checks the page, asks where, prints, writes', async () => {
    const { h, calls, written } = host();
    const r = await saveReportPdf('qdisc', h);
    expect(r).toEqual({ ok: true, path: '/tmp/qdisc-report.pdf', bytes: PDF.length, pages: 2 });
    expect(calls).toEqual(['evaluate', 'ask qdisc-report.pdf', 'print A4']);
    expect(written.map((w) => w.path)).toEqual(['/tmp/qdisc-report.pdf']);
    expect(written[0]!.data).toBe(PDF);
  });

  it('a cancelled dialog writes nothing', async () => {
    const { h, calls, written } = host({ askPath: async () => null });
    expect(await saveReportPdf('qdisc', h)).toEqual({ ok: false, canceled: true });
    expect(calls).toEqual(['evaluate']);
    expect(written).toEqual([]);
  });

  it('refuses bad names, wrong pages and non-PDF output without writing', async () => {
    const bad = host();
    expect(await saveReportPdf('../x', bad.h)).toEqual({ ok: false, error: 'bad model name "../x"' });
    expect(bad.calls).toEqual([]);
    const wrong = host({}, { state: 'error', message: "model 'qdisc' has errors" });
    const r = await saveReportPdf('qdisc', wrong.h);
    expect(r.ok).toBe(false);
    expect(!r.ok && !r.canceled && r.error).toMatch(/has errors/);
    expect(wrong.calls).toEqual(['evaluate']);
    const html = host({ print: async () => new TextEncoder().encode('<html></html>') });
    expect(await saveReportPdf('qdisc', html.h)).toEqual({ ok: false, error: 'printToPDF returned no PDF' });
    expect(html.written).toEqual([]);
    const thrown = host({
      print: async () => {
        throw new Error('printing failed\nstack');
      },
    });
    expect(await saveReportPdf('qdisc', thrown.h)).toEqual({ ok: false, error: 'printing failed' });
  });
});
