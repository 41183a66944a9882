// The application menu without Electron: the template's items, accelerators and what
// each click does (an action of index.ts, or a `kmodel:menu` command to the page).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { parseRoute } from '../renderer/src/lib/route';
import { MENU_CHANNEL, MENU_VIEWS, type MenuActions, menuTemplate } from './menu';

const root = resolve(__dirname, '..');

function fakeWindow() {
  const sent: unknown[][] = [];
  const win = { webContents: { send: (...a: unknown[]) => sent.push(a) } } as unknown as BrowserWindow;
  return { win, sent };
}

function fakeActions(recent: string[] = []) {
  return {
    open: vi.fn(),
    openRecent: vi.fn(),
    recent: () => recent,
    clearRecent: vi.fn(),
    newModel: vi.fn(),
    openModel: vi.fn(),
  } satisfies MenuActions;
}

type Item = MenuItemConstructorOptions;
const sub = (item: Item | undefined): Item[] => (Array.isArray(item?.submenu) ? item.submenu : []);
const top = (t: Item[], label: string) => t.find((i) => i.label === label);
function item(t: Item[], ...path: string[]): Item {
  let items = t;
  let found: Item | undefined;
  for (const label of path) {
    found = items.find((i) => i.label === label);
    if (!found) throw new Error(`no menu item ${path.join(' > ')}`);
    items = sub(found);
  }
  return found as Item;
}
function click(i: Item, win: BrowserWindow | undefined) {
  if (!i.click) throw new Error(`${i.label} has no click handler`);
  (i.click as (...a: unknown[]) => void)({}, win, {});
}
function allItems(t: Item[]): Item[] {
  return t.flatMap((i) => [i, ...allItems(sub(i))]);
}

const linux = { platform: 'linux', appName: 'kmodel' } as const;

describe('menuTemplate', () => {
  it('has File, Edit, View and Window menus with the documented accelerators', () => {
    const t = menuTemplate(fakeActions(), linux);
    expect(t.map((i) => i.label ?? i.role)).toEqual(['File', 'Edit', 'View', 'windowMenu']);
    const keys = Object.fromEntries(
      allItems(t)
        .filter((i) => i.accelerator)
        .map((i) => [i.label, i.accelerator]),
    );
    expect(keys).toMatchObject({
      'New Model': 'CmdOrCtrl+N',
      'Open…': 'CmdOrCtrl+O',
      'Open Model…': 'CmdOrCtrl+Shift+O',
      Save: 'CmdOrCtrl+S',
      'Save As…': 'CmdOrCtrl+Shift+S',
      'Export Graph (SVG)…': 'CmdOrCtrl+E',
      Undo: 'CmdOrCtrl+Z',
      Redo: 'CmdOrCtrl+Shift+Z',
      'Toggle Theme': 'CmdOrCtrl+Shift+T',
    });
    const accels = allItems(t).flatMap((i) => (i.accelerator ? [i.accelerator] : []));
    expect(new Set(accels).size, 'no key is bound twice').toBe(accels.length);
    expect(sub(top(t, 'File')).some((i) => i.role === 'quit')).toBe(true);
  });

  it('leaves Undo/Redo keys to the page, so one press is one step of the editor history', () => {
    const t = menuTemplate(fakeActions(), linux);
    for (const label of ['Undo', 'Redo']) expect(item(t, 'Edit', label).registerAccelerator).toBe(false);
    expect(
      sub(top(t, 'Edit'))
        .map((i) => i.role)
        .filter(Boolean),
    ).toEqual(['cut', 'copy', 'paste', 'selectAll']);
  });

  it('File items call their action with the clicked window', () => {
    const a = fakeActions();
    const t = menuTemplate(a, linux);
    const { win, sent } = fakeWindow();
    click(item(t, 'File', 'New Model'), win);
    click(item(t, 'File', 'Open Model…'), win);
    click(item(t, 'File', 'Open…'), win);
    expect(a.newModel).toHaveBeenCalledExactlyOnceWith(win);
    expect(a.openModel).toHaveBeenCalledExactlyOnceWith(win);
    expect(a.open).toHaveBeenCalledExactlyOnceWith(win);
    expect(sent).toEqual([]);
  });

  it('page commands go to the clicked window on the menu channel', () => {
    const t = menuTemplate(fakeActions(), linux);
    const cases: [string[], unknown[]][] = [
      [
        ['File', 'Save'],
        ['save', undefined],
      ],
      [
        ['File', 'Save As…'],
        ['save-as', undefined],
      ],
      [
        ['File', 'Export Graph (SVG)…'],
        ['export', undefined],
      ],
      [
        ['Edit', 'Undo'],
        ['undo', undefined],
      ],
      [
        ['Edit', 'Redo'],
        ['redo', undefined],
      ],
      [
        ['View', 'Toggle Theme'],
        ['toggle-theme', undefined],
      ],
      [
        ['View', 'Verifier'],
        ['view', 'verifier'],
      ],
    ];
    for (const [path, msg] of cases) {
      const { win, sent } = fakeWindow();
      click(item(t, ...path), win);
      expect(sent, path.join(' > ')).toEqual([[MENU_CHANNEL, ...msg]]);
    }
  });

  it('a click with no focused window does nothing', () => {
    const a = fakeActions(['/tmp/a.hex']);
    const t = menuTemplate(a, linux);
    for (const i of allItems(t).filter((x) => x.click && x.label !== 'Clear Recent')) click(i, undefined);
    expect(a.open).not.toHaveBeenCalled();
    expect(a.openRecent).not.toHaveBeenCalled();
    expect(a.newModel).not.toHaveBeenCalled();
  });

  it('Open Recent lists the recent files, newest first, then Clear Recent', () => {
    const a = fakeActions(['/w/b.hex', '/w/a.bin']);
    const t = menuTemplate(a, linux);
    const recent = sub(item(t, 'File', 'Open Recent'));
    expect(recent.map((i) => i.label ?? i.type)).toEqual([
      '/w/b.hex',
      '/w/a.bin',
      'separator',
      'Clear Recent',
    ]);
    const { win } = fakeWindow();
    click(recent[1] as Item, win);
    expect(a.openRecent).toHaveBeenCalledExactlyOnceWith(win, '/w/a.bin');
    const clear = item(t, 'File', 'Open Recent', 'Clear Recent');
    expect(clear.enabled).toBe(true);
    click(clear, undefined);
    expect(a.clearRecent).toHaveBeenCalledOnce();
  });

  it('with no recent files Open Recent holds only a disabled Clear Recent', () => {
    const t = menuTemplate(fakeActions([]), linux);
    const recent = sub(item(t, 'File', 'Open Recent'));
    expect(recent.map((i) => [i.label, i.enabled])).toEqual([['Clear Recent', false]]);
  });

  it('macOS gets the app menu first', () => {
    const t = menuTemplate(fakeActions(), { platform: 'darwin', appName: 'kmodel' });
    expect(t[0]?.label).toBe('kmodel');
    expect(sub(t[0]).map((i) => i.role)).toEqual(['about', 'quit']);
    expect(t.slice(1).map((i) => i.label ?? i.role)).toEqual(['File', 'Edit', 'View', 'windowMenu']);
  });
});

describe('menu and renderer agree', () => {
  const rendererSources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? rendererSources(join(dir, e.name))
        : /\.(svelte|ts)$/.test(e.name) && !e.name.endsWith('.test.ts')
          ? [readFileSync(join(dir, e.name), 'utf8')]
          : [],
    );
  const renderer = rendererSources(join(root, 'renderer/src')).join('\n');

  it('every command the menu sends has a handler in the renderer', () => {
    const t = menuTemplate(fakeActions(['/w/x.hex']), linux);
    const commands = new Set<string>();
    for (const i of allItems(t).filter((x) => x.click)) {
      const { win, sent } = fakeWindow();
      click(i, win);
      for (const m of sent) commands.add(m[1] as string);
    }
    expect(commands.size).toBeGreaterThan(5);
    for (const c of commands) expect(renderer, `renderer handles '${c}'`).toContain(`command === '${c}'`);
  });

  it('View items open the views their labels name, on the page’s own Alt+digit keys', () => {
    const t = menuTemplate(fakeActions(), linux);
    // App.svelte's view list: { id: 'program', label: 'Program', key: '1' }
    const app = readFileSync(join(root, 'renderer/src/App.svelte'), 'utf8');
    const pageKeys = new Map(
      [...app.matchAll(/\{ id: '(\w+)', label: '[^']+', key: '(\d)' \}/g)].map((m) => [m[1], m[2]]),
    );
    expect(pageKeys.size).toBe(MENU_VIEWS.length);
    for (const [label, view] of MENU_VIEWS) {
      const i = item(t, 'View', label);
      const { win, sent } = fakeWindow();
      click(i, win);
      const [, command, arg] = sent[0] as [string, string, string];
      expect(command).toBe('view');
      expect(parseRoute(`#${arg}`)).toEqual({ view, arg: null });
      expect(i.accelerator).toBe(`Alt+${pageKeys.get(view)}`);
    }
  });
});
