// npm start (scripts/start.mjs) against a fake node_modules/electron: nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = resolve(__dirname, 'start.mjs');

function fakeElectron(installer: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-start-'));
  writeFileSync(join(dir, 'install.js'), installer);
  const dev = join(dir, 'dev.mjs');
  writeFileSync(dev, "console.log('dev started', process.argv.slice(2).join(' '));\nprocess.exit(3);\n");
  const r = spawnSync(process.execPath, [script, '--inspect-x'], {
    encoding: 'utf8',
    env: { ...process.env, KMODEL_ELECTRON_DIR: dir, KMODEL_START_DEV: dev, ELECTRON_EXEC_PATH: '' },
  });
  return { dir, ...r };
}

describe('npm start', () => {
  it('an installer that cannot download: one line naming the reason and kmodel serve, exit 1', () => {
    // What Electron's install.js prints offline: the stack of undici's "fetch failed".
    const r = fakeElectron(
      "console.error('TypeError: fetch failed\\n    at node:internal/deps/undici/undici:14976:13');\nprocess.exit(1);\n",
    );
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(/dev started/);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(
      /cannot start the desktop app: .*no connection to the download server \(fetch failed\)/,
    );
    expect(last).toMatch(/npx kmodel serve/);
    expect(r.stderr).not.toMatch(/at node:internal/);
  });

  it('an installer that succeeds: path.txt names the binary, then electron-vite dev runs with the arguments', () => {
    const r = fakeElectron(
      [
        "const fs = require('node:fs');",
        "fs.mkdirSync('dist', { recursive: true });",
        "fs.writeFileSync('dist/electron', '');",
        "fs.writeFileSync('path.txt', 'electron');",
      ].join('\n'),
    );
    expect(r.stdout).toMatch(/dev started --inspect-x/);
    expect(r.status).toBe(3);
  });

  it('an installed binary is not installed again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-start-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/electron'), '');
    writeFileSync(join(dir, 'path.txt'), 'electron');
    writeFileSync(join(dir, 'install.js'), 'process.exit(9);\n');
    writeFileSync(join(dir, 'dev.mjs'), 'process.exit(0);\n');
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        KMODEL_ELECTRON_DIR: dir,
        KMODEL_START_DEV: join(dir, 'dev.mjs'),
        ELECTRON_EXEC_PATH: '',
      },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/downloading/);
  });
});
