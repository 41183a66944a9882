// `kmodel serve` as the CLI wires it (static renderer + API in a worker thread),
// except that the API's package root is a scratch folder: the real one's files,
// symlinked, plus extra model files (bench/app's synthetic model), so the app's
// own #graph/<name> route can open them.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerBackend } from '../../main/api/backend';
import { startServer } from '../../main/api/http';

export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

/** `extraModels`: file name → YAML text, added to models/ beside the shipped ones. */
export async function startBenchServer(
  root: string,
  extraModels: Record<string, string>,
): Promise<BenchServer> {
  // KMODEL_RENDERER_DIR: a private renderer build, to compare two builds side by side.
  const staticDir = process.env.KMODEL_RENDERER_DIR ?? join(root, 'out/renderer-web');
  const entry = join(root, 'bin/kmodel.mjs');
  for (const [file, how] of [
    [join(staticDir, 'index.html'), 'npm run build:renderer'],
    [join(root, 'out/cli/kmodel.mjs'), 'npm run build:cli'],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`${how}\``);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'kmodel-bench-app-'));
  for (const name of readdirSync(root)) {
    if (name !== 'models' && name !== 'node_modules') symlinkSync(join(root, name), join(scratch, name));
  }
  const models = join(scratch, 'models');
  mkdirSync(models);
  for (const name of readdirSync(join(root, 'models')))
    symlinkSync(join(root, 'models', name), join(models, name));
  for (const [name, text] of Object.entries(extraModels)) writeFileSync(join(models, name), text);

  const backend = workerBackend({ entry, argv: ['serve', '--api-worker'], root: scratch });
  const running = await startServer({ staticDir, backend, host: '127.0.0.1', port: 0 });
  return {
    url: running.url,
    async close() {
      await running.close();
      await backend.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
