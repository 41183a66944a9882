// `npm start`: the desktop app in development (electron-vite dev).
// Electron ≥ 45 downloads its binary on first use, not at npm install, and
// electron-vite reads node_modules/electron/path.txt (written by that download)
// without triggering it, stopping with "Electron uninstall". So run Electron's own
// installer first (what require('electron') does), and when it cannot download the
// binary say why in one line and point to the browser app, which needs no Electron.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Tests point these at fakes, so no test downloads anything.
const electronDir = process.env.KMODEL_ELECTRON_DIR ?? join(root, 'node_modules/electron');
const devArgv = process.env.KMODEL_START_DEV
  ? [process.env.KMODEL_START_DEV]
  : [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'dev'];

/** The binary electron-vite will run is there (path.txt names it, dist/ holds it). */
function electronInstalled() {
  try {
    const exe = readFileSync(join(electronDir, 'path.txt'), 'utf8');
    return exe.length > 0 && existsSync(join(electronDir, 'dist', exe));
  } catch {
    return false;
  }
}

/** One line saying why the installer failed, from what it printed (an error stack). */
function failureReason(output) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at '));
  const net = lines.find((l) =>
    /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|proxy/i.test(l),
  );
  if (net) return `no connection to the download server (${net.replace(/^\w*Error: /, '')})`;
  const err = lines.find((l) => /error/i.test(l)) ?? lines[0];
  return err ? err.replace(/^\w*Error: /, '') : 'the installer exited with an error and printed nothing';
}

function installElectron() {
  if (process.env.ELECTRON_EXEC_PATH || electronInstalled()) return undefined;
  const installer = join(electronDir, 'install.js');
  if (!existsSync(installer)) return `${installer} is missing (run npm install)`;
  process.stderr.write('kmodel: downloading the Electron binary (first start only)…\n');
  const r = spawnSync(process.execPath, [installer], {
    cwd: electronDir,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return failureReason(`${r.stderr ?? ''}\n${r.stdout ?? ''}`);
  if (!electronInstalled()) return 'the installer finished but path.txt names no binary';
  return undefined;
}

const why = installElectron();
if (why) {
  process.stderr.write(
    `kmodel: cannot start the desktop app: the Electron binary could not be installed: ${why}. ` +
      'The same app runs in a browser without Electron: npx kmodel serve\n',
  );
  process.exit(1);
}
const dev = spawn(process.execPath, [...devArgv, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => dev.kill(sig));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
