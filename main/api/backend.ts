// Where API calls go: a worker thread (the app and `kmodel serve`) or, for
// tests, the handlers in the calling thread. Both answer with an ApiEnvelope.

import { Worker } from 'node:worker_threads';
import { ApiHandlers } from './handlers';
import type { ApiEnvelope } from './types';
import { type ApiWorkerData, envelopeOf, type WorkerReply, type WorkerRequest } from './worker';

export interface ApiBackend {
  call(method: string, params: unknown): Promise<ApiEnvelope>;
  close(): Promise<void>;
}

export function inProcessBackend(root: string, fileRoots: readonly string[] | null = []): ApiBackend {
  const h = new ApiHandlers(root, fileRoots);
  return { call: (method, params) => envelopeOf(h, method, params), close: async () => {} };
}

export interface WorkerBackendOptions {
  /** Script the worker runs: out/main/worker.js, or the CLI bundle (with `argv`). */
  entry: string | URL;
  argv?: string[];
  /** kmodel's package root (corpus, BTF, package.json). */
  root: string;
  /** Where model documents may be opened/saved besides models/ (null: anywhere). */
  fileRoots?: string[] | null;
  /** The desktop app's recent model files (JSON list), listed on the home page. */
  recentModelsFile?: string;
}

/** Calls run in one worker thread, started on first use and restarted if it dies. */
export function workerBackend(opts: WorkerBackendOptions): ApiBackend {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, (e: ApiEnvelope) => void>();

  const failAll = (message: string) => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'internal', message } });
    pending.clear();
  };

  const start = (): Worker => {
    const data: ApiWorkerData = {
      kmodelApiWorker: {
        root: opts.root,
        ...(opts.fileRoots !== undefined ? { fileRoots: opts.fileRoots } : {}),
        ...(opts.recentModelsFile ? { recentModelsFile: opts.recentModelsFile } : {}),
      },
    };
    const w = new Worker(opts.entry, { workerData: data, argv: opts.argv, stdout: false, stderr: false });
    w.on('message', (r: WorkerReply) => {
      const resolve = pending.get(r.id);
      pending.delete(r.id);
      resolve?.(r.envelope);
    });
    w.on('error', (e) => failAll(`API worker failed: ${e.message}`));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(`API worker exited (code ${code})`);
    });
    // The server, not the worker, decides when the process ends.
    w.unref();
    return w;
  };

  return {
    call(method, params) {
      worker ??= start();
      const id = nextId++;
      const req: WorkerRequest = { id, method, params };
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker!.postMessage(req);
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
