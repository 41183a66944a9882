// index.ts as wiring, with `electron` replaced by fakes (the binary cannot run here):
// the menu it installs and the recent-files store behind it, the unsaved-changes prompt
// on close, which senders and navigations it trusts, and the kmodel:// file server.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

const fx = vi.hoisted(() => ({
  root: '',
  userData: '',
  handlers: new Map<string, Listener>(),
  listeners: new Map<string, Listener>(),
  protocolHandler: null as null | ((req: { url: string }) => Promise<Response>),
  menus: [] as unknown[],
  openDialogPaths: [] as string[],
  messageBoxAnswers: [] as number[],
  messageBoxes: [] as unknown[],
  errorBoxes: [] as string[],
  windows: [] as FakeWindow[],
  appEvents: new Map<string, Listener[]>(),
  saveDialogs: [] as string[],
  savePaths: [] as string[],
  permissionCheck: null as null | Listener,
}));

interface FakeWindow {
  webContents: { id: number; sent: unknown[][]; events: Map<string, Listener> };
  closed: boolean;
  close(): void;
}

vi.mock('electron', async () => {
  const { readFileSync: read } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  let nextId = 1;
  class BrowserWindow {
    events = new Map<string, Listener[]>();
    closed = false;
    webContents = {
      id: nextId++,
      sent: [] as unknown[][],
      events: new Map<string, Listener>(),
      send: (...a: unknown[]) => this.webContents.sent.push(a),
      setWindowOpenHandler() {},
      on: (ev: string, fn: Listener) => this.webContents.events.set(ev, fn),
    };
    constructor() {
      fx.windows.push(this as unknown as FakeWindow);
    }
    on(ev: string, fn: Listener) {
      this.events.set(ev, [...(this.events.get(ev) ?? []), fn]);
    }
    once(ev: string, fn: Listener) {
      this.on(ev, fn);
    }
    show() {}
    loadURL = async () => {};
    close() {
      if (this.closed) return;
      let prevented = false;
      for (const fn of this.events.get('close') ?? []) fn({ preventDefault: () => (prevented = true) });
      if (prevented) return;
      this.closed = true;
      for (const fn of this.events.get('closed') ?? []) fn();
    }
    static fromWebContents = (wc: { id: number }) =>
      fx.windows.find((w) => w.webContents.id === wc.id && !w.closed) ?? null;
    static getAllWindows = () => fx.windows.filter((w) => !w.closed);
  }
  return {
    app: {
      getAppPath: () => fx.root,
      whenReady: () => Promise.resolve(),
      on: (ev: string, fn: Listener) => fx.appEvents.set(ev, [...(fx.appEvents.get(ev) ?? []), fn]),
      getPath: () => fx.userData,
      name: 'kmodel',
      addRecentDocument() {},
      clearRecentDocuments() {},
    },
    BrowserWindow,
    dialog: {
      showOpenDialog: async () => {
        const p = fx.openDialogPaths.shift();
        return p ? { canceled: false, filePaths: [p] } : { canceled: true, filePaths: [] };
      },
      showMessageBoxSync: (_win: unknown, opts: unknown) => {
        fx.messageBoxes.push(opts);
        return fx.messageBoxAnswers.shift() ?? 2;
      },
      showErrorBox: (title: string, text: string) => fx.errorBoxes.push(`${title}: ${text}`),
      showSaveDialog: async (_win: unknown, opts: { defaultPath?: string }) => {
        fx.saveDialogs.push(opts.defaultPath ?? '');
        const p = fx.savePaths.shift();
        return p ? { canceled: false, filePath: p } : { canceled: true };
      },
    },
    ipcMain: {
      handle: (ch: string, fn: Listener) => fx.handlers.set(ch, fn),
      on: (ch: string, fn: Listener) => fx.listeners.set(ch, fn),
    },
    Menu: {
      setApplicationMenu: (m: unknown) => fx.menus.push(m),
      buildFromTemplate: (t: unknown) => t,
    },
    // The renderer's files, as Electron's net.fetch of a file: URL would give them.
    net: {
      fetch: async (url: string) => {
        try {
          return new Response(read(fileURLToPath(url)), { headers: { 'content-type': 'text/html' } });
        } catch {
          return new Response('', { status: 404 });
        }
      },
    },
    protocol: {
      registerSchemesAsPrivileged() {},
      handle: (_scheme: string, fn: (req: { url: string }) => Promise<Response>) => {
        fx.protocolHandler = fn;
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler() {},
        setPermissionCheckHandler: (fn: Listener) => {
          fx.permissionCheck = fn;
        },
        webRequest: { onHeadersReceived() {} },
      },
    },
  };
});

const root = resolve(__dirname, '..');
const APP = 'kmodel://app/index.html';
let win: FakeWindow;

type Item = MenuItemConstructorOptions;
const sub = (i: Item | undefined): Item[] => (Array.isArray(i?.submenu) ? i.submenu : []);
const menu = () => fx.menus.at(-1) as Item[];
const fileItem = (label: string) =>
  sub(menu().find((i) => i.label === 'File')).find((i) => i.label === label);
const recentItems = () => sub(fileItem('Open Recent'));
const click = async (i: Item | undefined) => {
  if (!i?.click) throw new Error(`no clickable item ${i?.label}`);
  await (i.click as Listener)({}, win, {});
  await new Promise((r) => setTimeout(r, 0)); // the dialog's promise settled
};
/** An IPC event as Electron gives it: the sending page and its frame's URL. */
const ipc = (url: string) => ({ sender: appWindow().webContents, senderFrame: { url } });

beforeAll(async () => {
  fx.root = root;
  fx.userData = mkdtempSync(join(tmpdir(), 'kmodel-main-wiring-'));
  await import('./index');
  await new Promise((r) => setTimeout(r, 0)); // app.whenReady() ran its callback
  win = fx.windows[0] as FakeWindow;
});
afterAll(() => rmSync(fx.userData, { recursive: true, force: true }));

describe('menu and recent files', () => {
  it('Open… shows the program, lists it under Open Recent, and a vanished file leaves the list', async () => {
    expect(recentItems().map((i) => [i.label, i.enabled])).toEqual([['Clear Recent', false]]);
    const prog = join(fx.userData, 'exit0.hex');
    writeFileSync(prog, 'b7 00 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n');
    fx.openDialogPaths.push(prog);
    await click(fileItem('Open…'));
    expect(win.webContents.sent.at(-1)).toEqual([
      'kmodel:menu',
      'open-hex',
      'b7000000000000009500000000000000',
    ]);
    expect(JSON.parse(readFileSync(join(fx.userData, 'recent.json'), 'utf8'))).toEqual([prog]);
    expect(recentItems().map((i) => i.label ?? i.type)).toEqual([prog, 'separator', 'Clear Recent']);

    rmSync(prog);
    await click(recentItems()[0]);
    expect(fx.errorBoxes.at(-1)).toContain(prog);
    expect(recentItems().map((i) => i.label)).toEqual(['Clear Recent']);
  });

  it('Clear Recent empties the stored list; a corrupted store reads as empty', async () => {
    const prog = join(fx.userData, 'p.bin');
    writeFileSync(prog, Buffer.from('9500000000000000', 'hex'));
    fx.openDialogPaths.push(prog);
    await click(fileItem('Open…'));
    expect(recentItems()[0]?.label).toBe(prog);
    await click(recentItems().find((i) => i.label === 'Clear Recent'));
    expect(JSON.parse(readFileSync(join(fx.userData, 'recent.json'), 'utf8'))).toEqual([]);
    expect(recentItems().map((i) => [i.label, i.enabled])).toEqual([['Clear Recent', false]]);

    writeFileSync(join(fx.userData, 'recent.json'), '{"oops"');
    fx.openDialogPaths.push(prog);
    await click(fileItem('Open…'));
    expect(recentItems().map((i) => i.label)).toEqual([prog, undefined, 'Clear Recent']);
  });
});

describe('BPF objects from the menu', () => {
  it('Open… of a clang object sends its bytes to the Program view, named', async () => {
    const obj = join(root, 'test/fixtures/objects/build/cc_rate.bpf.o');
    fx.openDialogPaths.push(obj);
    await click(fileItem('Open…'));
    const [channel, command, arg] = win.webContents.sent.at(-1) as [string, string, string];
    expect([channel, command]).toEqual(['kmodel:menu', 'open-object']);
    const { name, base64 } = JSON.parse(arg) as { name: string; base64: string };
    expect(name).toBe('cc_rate.bpf.o');
    expect(Buffer.from(base64, 'base64').equals(readFileSync(obj))).toBe(true);
  });
});

describe('models from the menu', () => {
  it('Open Model… opens the editor on it and lists it under Open Recent, where it opens again', async () => {
    const model = join(fx.userData, 'mine.yaml');
    writeFileSync(model, 'subsystem: mine\n');
    fx.openDialogPaths.push(model);
    await click(fileItem('Open Model…'));
    expect(win.webContents.sent.at(-1)).toEqual(['kmodel:menu', 'open-model', model]);
    // The same store the home page's "recent" reads (the API worker's recentModelsFile).
    expect(JSON.parse(readFileSync(join(fx.userData, 'recent.json'), 'utf8'))[0]).toBe(model);
    win.webContents.sent.length = 0;
    await click(recentItems().find((i) => i.label === model));
    expect(win.webContents.sent).toEqual([['kmodel:menu', 'open-model', model]]);
  });
});

describe('closing a window with unsaved edits', () => {
  beforeEach(() => {
    fx.messageBoxes.length = 0;
  });
  const dirty = (w: FakeWindow, url = APP) =>
    fx.listeners.get('kmodel:dirty')?.({ sender: w.webContents, senderFrame: { url } }, true);
  /** Closes `w` answering the prompt, if it comes, with a button's index; whether `w` closed. */
  const closeAnswering = (w: FakeWindow, button: number) => {
    fx.messageBoxAnswers.push(button);
    w.close();
    fx.messageBoxAnswers.length = 0;
    return w.closed;
  };
  const pageCloses = (w: FakeWindow, url = APP) =>
    fx.listeners.get('kmodel:close-window')?.({ sender: w.webContents, senderFrame: { url } });

  it('a clean window closes without a prompt; a foreign page cannot mark it dirty', () => {
    const w = appWindow();
    dirty(w, 'https://evil.example/');
    w.close();
    expect(w.closed).toBe(true);
    expect(fx.messageBoxes).toEqual([]);
  });

  it('Cancel keeps it, Save asks the page to save and close, and the page then closes it', () => {
    const w = appWindow();
    dirty(w);
    expect(closeAnswering(w, 2)).toBe(false);
    expect(fx.messageBoxes).toHaveLength(1);
    expect(fx.messageBoxes[0]).toMatchObject({ buttons: ['Save', 'Discard', 'Cancel'], cancelId: 2 });

    expect(closeAnswering(w, 0)).toBe(false);
    expect(w.webContents.sent.at(-1)).toEqual(['kmodel:menu', 'save-and-close']);
    // The page saved and asks to close; a foreign page cannot.
    pageCloses(w, 'https://evil.example/');
    expect(w.closed).toBe(false);
    pageCloses(w);
    expect(w.closed).toBe(true);
    expect(fx.messageBoxes).toHaveLength(2);
  });

  it('Discard closes it', () => {
    const w = appWindow();
    dirty(w);
    expect(closeAnswering(w, 1)).toBe(true);
    expect(fx.messageBoxes).toHaveLength(1);
  });
});

describe('File > Save', () => {
  it('asks where the first time, then saves the program there until Save As', async () => {
    const save = fx.handlers.get('kmodel:save') as Listener;
    const first = join(fx.userData, 'saved.hex');
    const req = { text: 'b700000000000000\n', name: 'hand-0002', ext: 'hex', as: false };
    fx.savePaths.push(first);
    expect(await save(ipc(APP), req)).toEqual({ ok: true, path: first });
    expect(fx.saveDialogs).toEqual(['hand-0002.hex']);
    expect(await save(ipc(APP), { ...req, text: '9500000000000000\n' })).toEqual({ ok: true, path: first });
    expect(readFileSync(first, 'utf8')).toBe('9500000000000000\n');
    expect(fx.saveDialogs).toHaveLength(1);
    // Save As asks again; cancelling writes nothing.
    expect(await save(ipc(APP), { ...req, as: true })).toEqual({ ok: false });
    expect(fx.saveDialogs).toHaveLength(2);
  });

  it('refuses foreign pages and malformed requests without a dialog', async () => {
    const save = fx.handlers.get('kmodel:save') as Listener;
    const before = fx.saveDialogs.length;
    const req = { text: 'x', name: 'p', ext: 'hex', as: true };
    expect(await save(ipc('https://evil.example/'), req)).toEqual({ ok: false });
    expect(await save(ipc(APP), { ...req, ext: 'x/../y' })).toEqual({ ok: false });
    expect(await save(ipc(APP), { ...req, ext: 7 })).toEqual({ ok: false });
    expect(fx.saveDialogs.length).toBe(before);
  });
});

describe('trust', () => {
  it('refuses API calls from foreign pages', async () => {
    const call = fx.handlers.get('kmodel:version') as Listener;
    expect(await call(ipc('https://evil.example/'), {})).toEqual({
      ok: false,
      error: { code: 'bad-request', message: 'untrusted sender' },
    });
  });

  it('the window stays on the app, by navigation or by redirect', () => {
    for (const event of ['will-navigate', 'will-redirect']) {
      const nav = appWindow().webContents.events.get(event) as Listener;
      const navigate = (url: string) => {
        let prevented = false;
        nav({ preventDefault: () => (prevented = true) }, url);
        return !prevented;
      };
      expect(navigate('kmodel://app/index.html#jit')).toBe(true);
      expect(navigate('https://evil.example/')).toBe(false);
      expect(navigate('file:///etc/passwd')).toBe(false);
    }
  });

  it('refuses permission checks as well as requests', () => {
    expect(fx.permissionCheck?.(null, 'clipboard-read', 'kmodel://app')).toBe(false);
  });

  it('lets the API save only models/ files and files the user picked', async () => {
    const save = fx.handlers.get('kmodel:saveModel') as Listener;
    const elsewhere = join(fx.userData, 'elsewhere.yaml');
    const refused = {
      ok: false,
      error: {
        code: 'bad-request',
        message: `${elsewhere}: not a file opened or chosen in this app; use Save As`,
      },
    };
    expect(await save(ipc(APP), { path: elsewhere, text: 'x: 1\n' })).toEqual(refused);
    // Picked in the Save As dialog: now the API may write it.
    fx.savePaths.push(elsewhere);
    const pick = fx.handlers.get('kmodel:pick-model-path') as Listener;
    expect(await pick(ipc(APP), 'model.yaml')).toBe(elsewhere);
    const after = (await save(ipc(APP), { path: elsewhere, text: 'x: 1\n' })) as typeof refused;
    expect(after.error?.message).not.toBe(refused.error.message);
  });

  it('serves renderer files with the CSP header, and nothing outside them', async () => {
    const serve = fx.protocolHandler as NonNullable<typeof fx.protocolHandler>;
    const ok = await serve({ url: 'kmodel://app/' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(readFileSync(join(root, 'renderer/index.html'), 'utf8'));
    expect(ok.headers.get('Content-Security-Policy')).toMatch(/default-src/);
    expect(ok.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect((await serve({ url: 'kmodel://app/no-such-file.js' })).status).toBe(404);
    expect((await serve({ url: 'kmodel://app/..%2f..%2fpackage.json' })).status).toBe(403);
    expect((await serve({ url: 'kmodel://evil/index.html' })).status).toBe(403);
  });
});

/** The open app window; when the last one closed, macOS-style `activate` makes a new one. */
function appWindow(): FakeWindow {
  const open = fx.windows.filter((w) => !w.closed);
  if (open.length) return open.at(-1) as FakeWindow;
  for (const fn of fx.appEvents.get('activate') ?? []) fn();
  const w = fx.windows.at(-1) as FakeWindow;
  if (w.closed) throw new Error('activate made no window');
  return w;
}
