// Electron main process: one window, sandboxed and isolated, the renderer served
// from the app's own `kmodel://` scheme with the CSP header, the API answered by
// a worker thread over IPC, and the menus.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session } from 'electron';
import { workerBackend } from './api/backend';
import { findPackageRoot } from './api/handlers';
import { API_METHODS, type CallProgress } from './api/types';
import { APP_SCHEME, APP_URL, appFilePath, trustedSender as isAppPage } from './app-scheme';
import { CLOSE_PROMPT, CloseGuard, closeChoice } from './close-guard';
import { ChosenPaths, writeRefusal } from './host/chosen-paths';
import { contentSecurityPolicy } from './host/csp';
import { saveTextAtomic } from './host/documents';
import { objectArgFromFile, programHexFromFile } from './host/files';
import { pushRecent, readRecent, writeRecent } from './host/recent';
import { saveReportPdf } from './host/report-pdf';
import { MENU_CHANNEL, menuTemplate } from './menu';
import { parseSaveRequest, SaveTarget } from './save-request';

const devUrl = process.env.ELECTRON_RENDERER_URL;
const here = import.meta.dirname;
const rendererDir = join(here, '../renderer');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const root = findPackageRoot(app.getAppPath());
// Model files may be anywhere: their paths come from native dialogs, drops and the menu.
const recentFile = () => join(app.getPath('userData'), 'recent.json');
// One recent list for programs and models: the worker adds the model files the editor
// opens or saves, and the home page lists the model files in it.
const backend = workerBackend({
  entry: join(here, 'worker.js'),
  root,
  fileRoots: null,
  recentModelsFile: recentFile(),
});
// The API reads models anywhere, but writes only under models/ or where the user picked.
const chosenPaths = new ChosenPaths([join(root, 'models')]);
const recent = () => readRecent(recentFile());
function setRecent(list: string[]): void {
  writeRecent(recentFile(), list);
  refreshMenu();
}

function openPath(win: BrowserWindow, path: string): void {
  chosenPaths.choose(path);
  if (/\.ya?ml$/i.test(path)) {
    // A model: the editor opens it (and the worker reads it, so a missing file shows there).
    win.webContents.send(MENU_CHANNEL, 'open-model', path);
    app.addRecentDocument(path);
    setRecent(pushRecent(recent(), path));
    return;
  }
  try {
    // A BPF object opens in the Program view with its programs and C lines.
    const object = objectArgFromFile(path);
    if (object) win.webContents.send(MENU_CHANNEL, 'open-object', object);
    else win.webContents.send(MENU_CHANNEL, 'open-hex', programHexFromFile(path));
    app.addRecentDocument(path);
    setRecent(pushRecent(recent(), path));
  } catch (e) {
    dialog.showErrorBox('Cannot open', `${path}: ${(e as Error).message}`);
    refreshMenu(); // a file that is gone leaves Open Recent
  }
}

function refreshMenu(): void {
  const template = menuTemplate(
    {
      async open(win) {
        const r = await dialog.showOpenDialog(win, {
          title: 'Open BPF program',
          filters: [
            { name: 'BPF programs and objects', extensions: ['bin', 'hex', 'txt', 'insns', 'o'] },
            { name: 'BPF objects (clang .o)', extensions: ['o'] },
            { name: 'All files', extensions: ['*'] },
          ],
          properties: ['openFile'],
        });
        if (!r.canceled && r.filePaths[0]) openPath(win, r.filePaths[0]);
      },
      openRecent: openPath,
      newModel: (win) => win.webContents.send(MENU_CHANNEL, 'view', 'edit/new'),
      async openModel(win) {
        const r = await dialog.showOpenDialog(win, {
          title: 'Open model',
          filters: [{ name: 'kmodel models (YAML)', extensions: ['yaml', 'yml'] }],
          properties: ['openFile'],
        });
        if (!r.canceled && r.filePaths[0]) openPath(win, r.filePaths[0]);
      },
      recent,
      clearRecent: () => {
        app.clearRecentDocuments();
        setRecent([]);
      },
    },
    { platform: process.platform, appName: app.name },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** Pages may talk to the API only from the app's own origin. */
function trustedSender(url: string | undefined): boolean {
  return isAppPage(url, devUrl);
}

// Each window's calls in flight, so its Cancel can stop them (the long lane's worker is stopped).
const inFlight = new Map<number, Set<AbortController>>();

function wireIpc(): void {
  ipcMain.on('kmodel:cancel', (e) => {
    if (!trustedSender(e.senderFrame?.url)) return;
    for (const c of inFlight.get(e.sender.id) ?? []) c.abort();
  });
  for (const method of API_METHODS) {
    ipcMain.handle(`kmodel:${method}`, (e, params: unknown) => {
      if (!trustedSender(e.senderFrame?.url)) {
        return { ok: false, error: { code: 'bad-request', message: 'untrusted sender' } };
      }
      const refusal = writeRefusal(method, params, chosenPaths);
      if (refusal) return { ok: false, error: { code: 'bad-request', message: refusal } };
      const abort = new AbortController();
      const mine = inFlight.get(e.sender.id) ?? new Set<AbortController>();
      inFlight.set(e.sender.id, mine.add(abort));
      // How far a long call is goes to the window that made it (its Verifier view's progress bar).
      const sender = e.sender;
      const onProgress = (p: CallProgress) => {
        if (!sender.isDestroyed()) sender.send('kmodel:progress', p);
      };
      return backend
        .call(method, params, { signal: abort.signal, onProgress })
        .finally(() => mine.delete(abort));
    });
  }
  // Save / Save As / Export: the renderer hands over the text, main asks where.
  const target = new SaveTarget();
  ipcMain.handle('kmodel:save', async (e, raw: unknown) => {
    const req = parseSaveRequest(raw);
    if (!trustedSender(e.senderFrame?.url) || !req) return { ok: false };
    const win = BrowserWindow.fromWebContents(e.sender);
    let path = target.silentPath(req);
    if (!path && win) {
      const r = await dialog.showSaveDialog(win, {
        defaultPath: `${req.name}.${req.ext}`,
        filters: [{ name: req.ext.toUpperCase(), extensions: [req.ext] }],
      });
      if (r.canceled || !r.filePath) return { ok: false };
      path = r.filePath;
    }
    if (!path) return { ok: false };
    try {
      saveTextAtomic(path, req.text);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    target.saved(req, path);
    return { ok: true, path };
  });
}

// The review report as PDF: the button sits on the report route, so main prints the
// sender's own window once it shows that model's report drawn (host/report-pdf.ts).
function wireReportPdf(): void {
  ipcMain.handle('kmodel:save-report-pdf', async (e, model: unknown) => {
    const win = BrowserWindow.fromWebContents(e.sender);
    if (!trustedSender(e.senderFrame?.url) || !win) return { ok: false, error: 'untrusted sender' };
    const wc = e.sender;
    return saveReportPdf(model, {
      evaluate: (script) => wc.executeJavaScript(script),
      async askPath(name) {
        const r = await dialog.showSaveDialog(win, {
          title: 'Save report as PDF',
          defaultPath: join(app.getPath('documents'), name),
          filters: [{ name: 'PDF', extensions: ['pdf'] }],
        });
        return r.canceled || !r.filePath ? null : r.filePath;
      },
      print: (options) => wc.printToPDF(options),
      write: (path, data) => writeFileSync(path, data),
    });
  });
}

// Model documents: Save As dialog, and the unsaved-changes prompt when a window closes.
const closeGuard = new CloseGuard();
function wireDocuments(): void {
  ipcMain.handle('kmodel:pick-model-path', async (e, defaultPath: unknown) => {
    const win = BrowserWindow.fromWebContents(e.sender);
    if (!trustedSender(e.senderFrame?.url) || !win) return null;
    const r = await dialog.showSaveDialog(win, {
      title: 'Save model as',
      defaultPath: typeof defaultPath === 'string' ? defaultPath : 'model.yaml',
      filters: [{ name: 'kmodel models (YAML)', extensions: ['yaml', 'yml'] }],
    });
    if (r.canceled || !r.filePath) return null;
    chosenPaths.choose(r.filePath);
    return r.filePath;
  });
  // A model file dropped on the window: the user picked it, as in a dialog.
  ipcMain.on('kmodel:dropped-path', (e, path: unknown) => {
    if (trustedSender(e.senderFrame?.url) && typeof path === 'string' && path) chosenPaths.choose(path);
  });
  ipcMain.on('kmodel:dirty', (e, dirty: unknown) => {
    if (!trustedSender(e.senderFrame?.url)) return;
    closeGuard.setDirty(e.sender.id, dirty === true);
  });
  ipcMain.on('kmodel:close-window', (e) => {
    const win = BrowserWindow.fromWebContents(e.sender);
    if (!trustedSender(e.senderFrame?.url) || !win) return;
    closeGuard.letClose(e.sender.id);
    win.close();
  });
}

function confirmClose(win: BrowserWindow): void {
  const id = win.webContents.id;
  win.on('close', (e) => {
    if (!closeGuard.mustAsk(id)) return;
    e.preventDefault();
    const action = closeGuard.answer(id, closeChoice(dialog.showMessageBoxSync(win, CLOSE_PROMPT)));
    if (action === 'save-and-close') win.webContents.send(MENU_CHANNEL, 'save-and-close');
    else if (action === 'close') win.close();
  });
  win.on('closed', () => closeGuard.forget(id));
}

function serveRenderer(): void {
  const csp = contentSecurityPolicy();
  protocol.handle(APP_SCHEME, async (req) => {
    const file = appFilePath(rendererDir, req.url);
    if (!file) return new Response('forbidden', { status: 403 });
    const res = await net.fetch(pathToFileURL(file).href).catch(() => undefined);
    if (!res?.ok) return new Response('not found', { status: 404 });
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', csp);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: 200, headers });
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'kmodel',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      // Middle-click would open links in new windows, past setWindowOpenHandler's reach.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  confirmClose(win);
  // No remote content: no new windows, no navigation away from the app.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (e, url) => {
    if (!trustedSender(url)) e.preventDefault();
  });
  // A server redirect is a navigation too.
  win.webContents.on('will-redirect', (e, url) => {
    if (!trustedSender(url)) e.preventDefault();
  });
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadURL(APP_URL);
  return win;
}

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  // Synchronous checks (clipboard, media, notifications …) are refused as well.
  session.defaultSession.setPermissionCheckHandler(() => false);
  if (devUrl) {
    // The dev server's own pages get the dev policy as a header too.
    const devCsp = contentSecurityPolicy({ dev: true });
    session.defaultSession.webRequest.onHeadersReceived((d, cb) =>
      cb({ responseHeaders: { ...d.responseHeaders, 'Content-Security-Policy': [devCsp] } }),
    );
  }
  // Files in the recent list were picked by the user in an earlier session.
  for (const path of recent()) chosenPaths.choose(path);
  serveRenderer();
  wireIpc();
  wireDocuments();
  wireReportPdf();
  refreshMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  void backend.close();
  if (process.platform !== 'darwin') app.quit();
});
