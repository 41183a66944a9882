// The API's worker thread: core work (disassembly, BTF search, verification,
// JIT) runs here so neither Electron's main process nor the HTTP server stalls.
// Loaded as its own entry (out/main/worker.js) or, inside the CLI bundle, by
// re-running the bundle with workerData.kmodelApiWorker set.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ApiHandlers, dispatch } from './handlers';
import { ApiError } from './schema';
import type { ApiEnvelope } from './types';

export interface WorkerRequest {
  id: number;
  method: string;
  params: unknown;
}

export interface WorkerReply {
  id: number;
  envelope: ApiEnvelope;
}

export interface ApiWorkerData {
  /** fileRoots: see ApiHandlers (null = any model path; absent = models/ only). */
  kmodelApiWorker: { root: string; fileRoots?: string[] | null; recentModelsFile?: string };
}

/** Turns a handler's outcome into the wire envelope. */
export async function envelopeOf(h: ApiHandlers, method: string, params: unknown): Promise<ApiEnvelope> {
  try {
    return { ok: true, result: await dispatch(h, method, params) };
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError('internal', String((e as Error)?.message ?? e));
    return { ok: false, error: { code: err.code, message: err.message } };
  }
}

let started = false;

export function runApiWorker(): void {
  if (started || isMainThread || !parentPort) return;
  started = true;
  const { root, fileRoots, recentModelsFile } = (workerData as ApiWorkerData).kmodelApiWorker;
  const handlers = new ApiHandlers(root, fileRoots ?? [], recentModelsFile ? { recentModelsFile } : {});
  const port = parentPort;
  port.on('message', async (req: WorkerRequest) => {
    const reply: WorkerReply = { id: req.id, envelope: await envelopeOf(handlers, req.method, req.params) };
    port.postMessage(reply);
  });
}

if (!isMainThread && (workerData as Partial<ApiWorkerData> | undefined)?.kmodelApiWorker) runApiWorker();
