// The API's worker thread: core work (disassembly, BTF search, verification,
// JIT) runs here so neither Electron's main process nor the HTTP server stalls.
// Loaded as its own entry (out/main/worker.js) or, inside the CLI bundle, by
// re-running the bundle with workerData.kmodelApiWorker set.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ApiHandlers, dispatch } from './handlers';
import { ApiError } from './schema';
import type { ApiEnvelope, CallProgress } from './types';

export interface WorkerRequest {
  id: number;
  method: string;
  params: unknown;
  /** The caller listens for progress messages. */
  progress?: boolean;
}

export type WorkerReply = { id: number; envelope: ApiEnvelope } | { id: number; progress: CallProgress };

/** Fewest milliseconds between two progress messages of one call (the verifier reports every 8192 insns). */
export const PROGRESS_INTERVAL_MS = 100;

/** `report`, called at most once per PROGRESS_INTERVAL_MS (the first call passes). */
export function throttled(report: (p: CallProgress) => void): (p: CallProgress) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (p) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    report({
      processed: p.processed,
      limit: p.limit,
      states: p.states,
      peakStates: p.peakStates,
      insn: p.insn,
    });
  };
}

export interface ApiWorkerData {
  /** fileRoots: see ApiHandlers (null = any model path; absent = models/ only). */
  kmodelApiWorker: { root: string; fileRoots?: string[] | null; recentModelsFile?: string };
}

/**
 * Turns a handler's outcome into the wire envelope. `onProgress` hears how far the call's
 * verification is (throttled); calls that report progress run one at a time (the long lane).
 */
export async function envelopeOf(
  h: ApiHandlers,
  method: string,
  params: unknown,
  onProgress?: (p: CallProgress) => void,
): Promise<ApiEnvelope> {
  if (onProgress) h.progress = throttled(onProgress);
  try {
    return { ok: true, result: await dispatch(h, method, params) };
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError('internal', String((e as Error)?.message ?? e));
    return { ok: false, error: { code: err.code, message: err.message } };
  } finally {
    if (onProgress) h.progress = undefined;
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
    const progress = req.progress
      ? (p: CallProgress) => port.postMessage({ id: req.id, progress: p } satisfies WorkerReply)
      : undefined;
    const reply: WorkerReply = {
      id: req.id,
      envelope: await envelopeOf(handlers, req.method, req.params, progress),
    };
    port.postMessage(reply);
  });
}

if (!isMainThread && (workerData as Partial<ApiWorkerData> | undefined)?.kmodelApiWorker) runApiWorker();
