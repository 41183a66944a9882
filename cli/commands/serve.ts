// `kmodel serve`: the desktop app's views in a browser, answered by the same
// API handlers as Electron (in a worker thread).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerBackend } from '../../main/api/backend';
import { findPackageRoot } from '../../main/api/handlers';
import { startServer } from '../../main/api/http';
// Imported for its side effect: in the built CLI the API worker is `kmodel serve
// --api-worker` re-run with workerData set, which loads this module (see runApiWorker).
import '../../main/api/worker';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { shippedModelNames } from '../model-arg';

const WORKER_FLAG = 'api-worker';

function parsePort(text: string | undefined): number {
  if (text === undefined) return 5177;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliError(`--port must be 0..65535, got '${text}'`);
  return n;
}

export const serve: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, [WORKER_FLAG]);
    // The worker thread runs this bundle again; its work started at import time.
    if (args.flags.has(WORKER_FLAG)) return 0;
    checkFlags(args, ['port', 'host']);
    // The browser may open and save model files only under models/ and these paths.
    // A shipped model's name is accepted too (MODEL everywhere else); it is always served.
    const fileRoots = args.positional.flatMap((p) => {
      if (existsSync(p)) return [resolve(p)];
      if (shippedModelNames().includes(p)) return [];
      throw new CliError(`${p}: no such file or folder, and no shipped model of that name`);
    });
    const port = parsePort(flagString(args, 'port'));
    const host = flagString(args, 'host') ?? '127.0.0.1';

    const here = fileURLToPath(import.meta.url);
    const root = findPackageRoot(here);
    const staticDir = join(root, 'out/renderer-web');
    if (!existsSync(join(staticDir, 'index.html'))) {
      throw new CliError(
        'the web renderer is not built (out/renderer-web); run `npm run build:renderer` (npm install runs it)',
      );
    }
    // Bundled: the worker re-runs the script that started us (bin/kmodel.mjs or
    // the bundle); under tsx it re-runs cli/main.ts with the same loader flags.
    const entry = resolve(process.argv[1] ?? here);
    const backend = workerBackend({ entry, argv: ['serve', `--${WORKER_FLAG}`], root, fileRoots });

    let running: Awaited<ReturnType<typeof startServer>>;
    try {
      running = await startServer({ staticDir, backend, host, port });
    } catch (e) {
      await backend.close();
      throw new CliError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    ctx.stdout(`kmodel: serving on ${running.url}\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        void running
          .close()
          .then(() => backend.close())
          .then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
