// The Electron main process's report-PDF wiring, with `electron` replaced by fakes
// (the binary cannot run here): the IPC handler the preload calls, the save dialog,
// printToPDF of the sender's own window, and the file it writes.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const fx = vi.hoisted(() => ({
  handlers: new Map<string, (e: unknown, ...args: unknown[]) => unknown>(),
  saveDialogs: [] as { defaultPath?: string }[],
  savePath: null as string | null,
  root: '',
  docs: '',
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static all: BrowserWindow[] = [];
    webContents = { id: 1, setWindowOpenHandler() {}, on() {}, send() {} };
    constructor() {
      BrowserWindow.all.push(this);
    }
    once() {}
    on() {}
    loadURL = async () => {};
    static fromWebContents = (wc: { win?: BrowserWindow }) => wc.win ?? null;
    static getAllWindows = () => BrowserWindow.all;
  }
  return {
    app: {
      getAppPath: () => fx.root,
      whenReady: () => Promise.resolve(),
      on() {},
      getPath: () => fx.docs,
      name: 'kmodel',
    },
    BrowserWindow,
    dialog: {
      showSaveDialog: async (_win: unknown, opts: { defaultPath?: string }) => {
        fx.saveDialogs.push(opts);
        return fx.savePath ? { canceled: false, filePath: fx.savePath } : { canceled: true };
      },
    },
    ipcMain: {
      handle: (ch: string, fn: (e: unknown, ...a: unknown[]) => unknown) => fx.handlers.set(ch, fn),
      on() {},
    },
    Menu: { setApplicationMenu() {}, buildFromTemplate: (t: unknown) => t },
    net: { fetch: async () => undefined },
    protocol: { registerSchemesAsPrivileged() {}, handle() {} },
    session: {
      defaultSession: {
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
        webRequest: { onHeadersReceived() {} },
      },
    },
  };
});

const root = resolve(__dirname, '..');
const PDF = readFileSync(join(root, 'test/fixtures/report-pdf/one-page.pdf'));

/** The sender of an IPC call: the app's window showing the qdisc report. */
function sender(url: string) {
  const scripts: string[] = [];
  const printed: unknown[] = [];
  const wc = {
    win: {},
    executeJavaScript: async (s: string) => {
      scripts.push(s);
      return s.includes('"qdisc"') ? { state: 'ready' } : { state: 'absent' };
    },
    printToPDF: async (o: unknown) => {
      printed.push(o);
      return PDF;
    },
  };
  return { event: { sender: wc, senderFrame: { url } }, scripts, printed };
}

let save: (e: unknown, model: unknown) => Promise<unknown>;

beforeAll(async () => {
  fx.root = root;
  fx.docs = mkdtempSync(join(tmpdir(), 'kmodel-main-'));
  await import('./index');
  // app.whenReady() resolved: the handlers are wired on the next turn.
  await new Promise((r) => setTimeout(r, 0));
  save = fx.handlers.get('kmodel:save-report-pdf') as typeof save;
});

describe('Electron main: report PDF', () => {
  it('prints the sender window to the file the save dialog names', async () => {
    fx.savePath = join(fx.docs, 'out.pdf');
    const s = sender('kmodel://app/index.html#report/qdisc');
    const r = await save(s.event, 'qdisc');
    expect(r).toEqual({ ok: true, path: fx.savePath, bytes: PDF.length, pages: 1 });
    expect(readFileSync(fx.savePath).equals(PDF)).toBe(true);
    expect(fx.saveDialogs.at(-1)?.defaultPath).toBe(join(fx.docs, 'qdisc-report.pdf'));
    expect(s.scripts[0]).toContain('[data-testid=report]');
    expect(s.printed).toEqual([
      {
        pageSize: 'A4',
        printBackground: true,
        margins: expect.objectContaining({ top: expect.closeTo(12 / 25.4, 6) }),
      },
    ]);
  });

  it('refuses untrusted senders and bad names; a cancelled dialog writes nothing', async () => {
    fx.savePath = join(fx.docs, 'never.pdf');
    const evil = sender('https://evil.example/');
    expect(await save(evil.event, 'qdisc')).toEqual({ ok: false, error: 'untrusted sender' });
    expect(evil.scripts).toEqual([]);
    const bad = sender('kmodel://app/index.html#report/qdisc');
    expect(await save(bad.event, '../../etc/passwd')).toMatchObject({ ok: false, error: /bad model name/ });
    expect(bad.printed).toEqual([]);
    fx.savePath = null;
    const cancel = sender('kmodel://app/index.html#report/qdisc');
    expect(await save(cancel.event, 'qdisc')).toEqual({ ok: false, canceled: true });
    expect(cancel.printed).toEqual([]);
    expect(existsSync(join(fx.docs, 'never.pdf'))).toBe(false);
  });
});
