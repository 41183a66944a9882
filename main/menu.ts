// The application menu as a template (index.ts builds it with Menu.buildFromTemplate).
// Only Electron's types are imported, so the template and its click handlers can be
// tested without the Electron binary. Commands that need the page's state (Save,
// Export, view switches, theme, Undo/Redo) go to the renderer as `kmodel:menu` messages.
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** Program files (raw or hex), shown in the Program view. */
  open(win: BrowserWindow): void;
  openRecent(win: BrowserWindow, path: string): void;
  recent(): string[];
  clearRecent(): void;
  /** Model documents (the editor view). */
  newModel(win: BrowserWindow): void;
  openModel(win: BrowserWindow): void;
}

/** The channel main sends menu commands on (preload's kmodelMenu.on listens to it). */
export const MENU_CHANNEL = 'kmodel:menu';

export interface MenuOptions {
  /** `process.platform`: macOS gets the app menu first. */
  platform: NodeJS.Platform;
  appName: string;
}

// Electron hands click handlers the focused window (a BaseWindow); every window here is a BrowserWindow.
type Click = (win: BrowserWindow) => void;
const onWindow =
  (fn: Click): MenuItemConstructorOptions['click'] =>
  (_item, win) => {
    if (win) fn(win as BrowserWindow);
  };
const send = (command: string, arg?: string) =>
  onWindow((win) => win.webContents.send(MENU_CHANNEL, command, arg));

/** The views of the View menu: label, route (renderer/src/lib/route.ts) and Alt+digit key. */
export const MENU_VIEWS = [
  ['Home', 'home', '0'],
  ['Program', 'program', '1'],
  ['BTF', 'btf', '2'],
  ['Verifier', 'verifier', '3'],
  ['JIT', 'jit', '4'],
  ['Models', 'models', '5'],
  ['Graph', 'graph', '6'],
  ['Report', 'report', '7'],
  ['Model editor', 'edit', '8'],
  ['Stats', 'stats', '9'],
] as const;

export function menuTemplate(actions: MenuActions, opts: MenuOptions): MenuItemConstructorOptions[] {
  const recent = actions.recent();
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Model', accelerator: 'CmdOrCtrl+N', click: onWindow((w) => actions.newModel(w)) },
        {
          label: 'Open Model…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: onWindow((w) => actions.openModel(w)),
        },
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: onWindow((w) => actions.open(w)) },
        {
          label: 'Open Recent',
          submenu: [
            ...recent.map(
              (p): MenuItemConstructorOptions => ({
                label: p,
                click: onWindow((w) => actions.openRecent(w, p)),
              }),
            ),
            ...(recent.length ? [{ type: 'separator' } as const] : []),
            { label: 'Clear Recent', enabled: recent.length > 0, click: () => actions.clearRecent() },
          ],
        },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: send('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: send('save-as') },
        { label: 'Export Graph (SVG)…', accelerator: 'CmdOrCtrl+E', click: send('export') },
        { label: 'Export Report (PDF)…', accelerator: 'CmdOrCtrl+Shift+E', click: send('export-report-pdf') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      // Undo/Redo go to the page: the model editor keeps its own history (a
      // textarea's native one is lost whenever the page sets its text). The
      // keys are left to the page (registerAccelerator: false), so one press is one step.
      label: 'Edit',
      submenu: [
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', registerAccelerator: false, click: send('undo') },
        { label: 'Redo', accelerator: 'CmdOrCtrl+Shift+Z', registerAccelerator: false, click: send('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        ...MENU_VIEWS.map(
          ([label, view, key]): MenuItemConstructorOptions => ({
            label,
            accelerator: `Alt+${key}`,
            click: send('view', view),
          }),
        ),
        { type: 'separator' },
        { label: 'Toggle Theme', accelerator: 'CmdOrCtrl+Shift+T', click: send('toggle-theme') },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  if (opts.platform === 'darwin')
    template.unshift({ label: opts.appName, submenu: [{ role: 'about' }, { role: 'quit' }] });
  return template;
}
