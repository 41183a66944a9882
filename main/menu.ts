// The application menu. Commands that need the page's state (Save, Export, view
// switches, theme) are sent to the renderer as `kmodel:menu` messages.
import { app, type BrowserWindow, Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  open(win: BrowserWindow): void;
  openRecent(win: BrowserWindow, path: string): void;
  recent(): string[];
  clearRecent(): void;
  /** Model documents (the editor view). */
  newModel(win: BrowserWindow): void;
  openModel(win: BrowserWindow): void;
}

const send = (win: BrowserWindow | undefined, command: string, arg?: string) =>
  win?.webContents.send('kmodel:menu', command, arg);

export function buildMenu(actions: MenuActions): Menu {
  const recent = actions.recent();
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        {
          label: 'New Model',
          accelerator: 'CmdOrCtrl+N',
          click: (_i, w) => w && actions.newModel(w as BrowserWindow),
        },
        {
          label: 'Open Model…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: (_i, w) => w && actions.openModel(w as BrowserWindow),
        },
        {
          label: 'Open…',
          accelerator: 'CmdOrCtrl+O',
          click: (_i, w) => w && actions.open(w as BrowserWindow),
        },
        {
          label: 'Open Recent',
          submenu: [
            ...recent.map(
              (p): MenuItemConstructorOptions => ({
                label: p,
                click: (_i, w) => w && actions.openRecent(w as BrowserWindow, p),
              }),
            ),
            ...(recent.length ? [{ type: 'separator' } as const] : []),
            { label: 'Clear Recent', enabled: recent.length > 0, click: () => actions.clearRecent() },
          ],
        },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: (_i, w) => send(w as BrowserWindow, 'save') },
        {
          label: 'Save As…',
          accelerator: 'CmdOrCtrl+Shift+S',
          click: (_i, w) => send(w as BrowserWindow, 'save-as'),
        },
        {
          label: 'Export Graph (SVG)…',
          accelerator: 'CmdOrCtrl+E',
          click: (_i, w) => send(w as BrowserWindow, 'export'),
        },
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
        {
          label: 'Undo',
          accelerator: 'CmdOrCtrl+Z',
          registerAccelerator: false,
          click: (_i, w) => send(w as BrowserWindow, 'undo'),
        },
        {
          label: 'Redo',
          accelerator: 'CmdOrCtrl+Shift+Z',
          registerAccelerator: false,
          click: (_i, w) => send(w as BrowserWindow, 'redo'),
        },
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
        {
          label: 'Program',
          accelerator: 'Alt+1',
          click: (_i, w) => send(w as BrowserWindow, 'view', 'program'),
        },
        { label: 'BTF', accelerator: 'Alt+2', click: (_i, w) => send(w as BrowserWindow, 'view', 'btf') },
        {
          label: 'Verifier',
          accelerator: 'Alt+3',
          click: (_i, w) => send(w as BrowserWindow, 'view', 'verifier'),
        },
        { label: 'JIT', accelerator: 'Alt+4', click: (_i, w) => send(w as BrowserWindow, 'view', 'jit') },
        {
          label: 'Models',
          accelerator: 'Alt+5',
          click: (_i, w) => send(w as BrowserWindow, 'view', 'models'),
        },
        { label: 'Graph', accelerator: 'Alt+6', click: (_i, w) => send(w as BrowserWindow, 'view', 'graph') },
        { type: 'separator' },
        {
          label: 'Toggle Theme',
          accelerator: 'CmdOrCtrl+Shift+T',
          click: (_i, w) => send(w as BrowserWindow, 'toggle-theme'),
        },
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
  if (process.platform === 'darwin')
    template.unshift({ label: app.name, submenu: [{ role: 'about' }, { role: 'quit' }] });
  return Menu.buildFromTemplate(template);
}
