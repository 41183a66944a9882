// Model editor: open a copy of a shipped model, break it, see the diagnostic,
// undo/redo, save to disk, and react to changes made on disk behind its back.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const TA = '[data-testid=editor-text]';
const value = (page) => page.$eval(TA, (t) => t.value);
const waitFor = async (page, fn, arg, what) => {
  try {
    await page.waitForFunction(fn, arg, { timeout: 20_000 });
  } catch {
    throw new Error(`timed out waiting for ${what}`);
  }
};
const offsetOfLine = (text, line) =>
  text
    .split('\n')
    .slice(0, line - 1)
    .join('\n').length + (line > 1 ? 1 : 0);

export const tests = {
  async 'edits, validates, undoes, saves and notices changes on disk'({ page, url, root, files, shot }) {
    const path = join(files, 'tcp_cc.yaml');
    copyFileSync(join(root, 'models/tcp_cc.yaml'), path);
    const original = readFileSync(path, 'utf8');

    await page.goto(`${url}#edit/${encodeURIComponent(path)}`);
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
    assert((await value(page)) === original, 'the editor shows the file');
    assert((await page.textContent('[data-testid=editor-path]')) === path, 'the path is shown');
    assert((await page.locator('[data-testid=dirty]').count()) === 0, 'clean after open');

    // Break it: `kernel:` → `kernal:` (an unknown key on that line, and `kernel` missing).
    const line = original.split('\n').findIndex((l) => l.startsWith('kernel:')) + 1;
    const start = offsetOfLine(original, line);
    await page.focus(TA);
    await page.$eval(TA, (t, [a, b]) => t.setSelectionRange(a, b), [start, start + 6]);
    await page.keyboard.type('kernal');
    await page.waitForSelector(`[data-testid=diagnostics] li.error button[data-line="${line}"]`, {
      timeout: 20_000,
    });
    const msg = await page.textContent(`[data-testid=diagnostics] button[data-line="${line}"]`);
    assert(/kernal/.test(msg), `diagnostic names the bad key: ${msg}`);
    assert((await page.locator('[data-testid=dirty]').count()) === 1, 'dirty after the edit');
    assert(
      await page.$eval(`.gutter div:nth-child(${line})`, (d) => d.classList.contains('err')),
      'the gutter marks the line',
    );
    await shot('error');

    // Clicking the diagnostic puts the caret at its line and column.
    await page.$eval(TA, (t) => t.setSelectionRange(0, 0));
    await page.click(`[data-testid=diagnostics] button[data-line="${line}"]`);
    const col = Number(
      await page.getAttribute(`[data-testid=diagnostics] button[data-line="${line}"]`, 'data-col'),
    );
    const caret = await page.$eval(TA, (t) => [t.selectionStart, document.activeElement === t]);
    assert(caret[0] === start + col - 1 && caret[1], `caret at ${line}:${col}: ${caret}`);

    // Undo / redo (the editor's own history: Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y).
    await page.keyboard.press('Control+z');
    assert((await value(page)) === original, 'Ctrl+Z restores the text');
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 20_000 });
    assert((await page.locator('[data-testid=dirty]').count()) === 0, 'clean again after undo');
    await page.keyboard.press('Control+Shift+z');
    assert((await value(page)).includes('\nkernal: '), 'Ctrl+Shift+Z redoes');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+y');
    assert((await value(page)).includes('\nkernal: '), 'Ctrl+Y redoes');
    await page.click('[data-testid=undo]');
    assert((await value(page)) === original, 'the Undo button undoes');
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 20_000 });

    // A valid edit, saved with Ctrl+S: on disk, atomic (no temp file), still a valid model.
    const titleLine = original.split('\n').findIndex((l) => l.startsWith('title:')) + 1;
    const titleEnd = offsetOfLine(original, titleLine) + original.split('\n')[titleLine - 1].length;
    await page.focus(TA);
    await page.$eval(TA, (t, o) => t.setSelectionRange(o, o), titleEnd);
    await page.keyboard.type(' (edited)');
    await page.waitForSelector('[data-testid=dirty]');
    await page.keyboard.press('Control+s');
    await page.waitForSelector('[data-testid=dirty]', { state: 'detached', timeout: 20_000 });
    const saved = readFileSync(path, 'utf8');
    assert(saved.includes('(edited)') && saved === (await value(page)), 'saved to disk');
    const check = execFileSync(process.execPath, [join(root, 'bin/kmodel.mjs'), 'model', 'check', path], {
      encoding: 'utf8',
    });
    assert(/ok/.test(check), `the saved model checks: ${check}`);

    // Changed on disk while clean: the editor reloads and says so.
    writeFileSync(path, `${saved}# changed outside\n`);
    await page.waitForSelector('[data-testid=disk-banner][data-kind=reloaded]', { timeout: 20_000 });
    assert((await value(page)).endsWith('# changed outside\n'), 'reloaded text');

    // Changed on disk while dirty: a conflict; Save refuses, Overwrite forces.
    await page.focus(TA);
    await page.$eval(TA, (t) => t.setSelectionRange(t.value.length, t.value.length));
    await page.keyboard.type('# mine\n');
    writeFileSync(path, `${saved}# theirs\n`);
    await page.waitForSelector('[data-testid=disk-banner][data-kind=conflict]', { timeout: 20_000 });
    await shot('conflict');
    await page.keyboard.press('Control+s');
    await page.waitForSelector('[data-testid=disk-banner][data-kind=refused]', { timeout: 20_000 });
    assert(readFileSync(path, 'utf8').endsWith('# theirs\n'), 'refused save left the file alone');
    await page.click('[data-testid=banner-overwrite]');
    await page.waitForSelector('[data-testid=disk-banner]', { state: 'detached', timeout: 20_000 });
    assert(readFileSync(path, 'utf8').endsWith('# mine\n'), 'Overwrite wrote mine');
    await waitFor(
      page,
      () => !document.querySelector('[data-testid=dirty]'),
      undefined,
      'clean after overwrite',
    );
  },

  async 'Save As writes a new file; paths outside the served folders are refused'({ page, url, files }) {
    await page.goto(`${url}#edit/new`);
    // New opens the wizard; the plain template is one click away.
    await page.click('[data-testid=wizard-template]');
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
    assert((await page.textContent('[data-testid=editor-name]')) === 'untitled.yaml', 'untitled');
    await page.click('[data-testid=save-as]');
    await page.fill('[data-testid=saveas-path]', '/etc/kmodel-nope.yaml');
    await page.click('[data-testid=saveas-ok]');
    await page.waitForSelector('[data-testid=editor-error]');
    assert(/outside the folders/.test(await page.textContent('[data-testid=editor-error]')), 'refused');
    const target = join(files, 'fresh.yaml');
    await page.fill('[data-testid=saveas-path]', target);
    await page.click('[data-testid=saveas-ok]');
    await waitFor(
      page,
      (p) => location.hash === `#edit/${encodeURIComponent(p)}`,
      target,
      'route to the file',
    );
    assert(readFileSync(target, 'utf8').includes('subsystem: my_subsystem'), 'template written');
    assert((await page.locator('[data-testid=dirty]').count()) === 0, 'clean after Save As');
  },

  async 'a dropped .yaml opens as an unsaved document'({ page, url, root }) {
    await page.goto(`${url}#models`);
    await page.waitForSelector('[data-testid=model-list]', { timeout: 60_000 });
    const text = readFileSync(join(root, 'models/hid_bpf.yaml'), 'utf8');
    const dt = await page.evaluateHandle((t) => {
      const d = new DataTransfer();
      d.items.add(new File([t], 'hid_bpf.yaml', { type: 'application/yaml' }));
      return d;
    }, text);
    await page.dispatchEvent('main', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
    assert((await value(page)) === text, 'dropped text shown');
    assert((await page.textContent('[data-testid=editor-name]')) === 'hid_bpf.yaml', 'named');
    assert((await page.locator('[data-testid=dirty]').count()) === 1, 'unsaved');
    // Tab indents with two spaces, as one undoable edit.
    await page.focus(TA);
    await page.$eval(TA, (t) => t.setSelectionRange(0, 0));
    await page.keyboard.press('Tab');
    assert((await value(page)) === `  ${text}`, 'Tab inserts two spaces');
    await page.keyboard.press('Control+z');
    assert((await value(page)) === text, 'and undoes');
    assert((await page.$eval(TA, (t) => t.scrollTop)) === 0, 'undo keeps the view where it was');

    // Another view and back: the unsaved document is kept; leaving the page asks first.
    await page.keyboard.type('# note\n');
    const edited = await value(page);
    const hash = await page.evaluate(() => location.hash);
    await page.click('nav button:has-text("Models")');
    await page.waitForSelector('[data-testid=model-list]');
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    await page.waitForFunction(
      (t) => document.querySelector('[data-testid=editor-text]')?.value === t,
      edited,
    );
    assert((await page.locator('[data-testid=dirty]').count()) === 1, 'still unsaved');
    const asked = new Promise((done) =>
      page.once('dialog', async (d) => {
        const type = d.type();
        await d.dismiss();
        done(type);
      }),
    );
    await page.evaluate(() => setTimeout(() => location.reload(), 0));
    assert((await asked) === 'beforeunload', 'reloading with unsaved edits asks first');
  },

  async 'the models view links to the editor'({ page, url }) {
    await page.goto(`${url}#models/qdisc`);
    await page.click('[data-testid=model-edit-link]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=diag-ok]', { timeout: 60_000 });
    assert(
      (await page.textContent('[data-testid=editor-path]')).endsWith('/models/qdisc.yaml'),
      'qdisc opened',
    );
  },
};
