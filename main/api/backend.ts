// Where API calls go: a worker thread (the app and `kmodel serve`) or, for
// tests, the handlers in the calling thread. Both answer with an ApiEnvelope.

import { Worker } from 'node:worker_threads';
import { ApiHandlers } from './handlers';
import type { ApiEnvelope, ApiErrorInfo, CallProgress } from './types';
import { type ApiWorkerData, envelopeOf, type WorkerReply, type WorkerRequest } from './worker';

export interface CallOptions {
  /** Aborting it ends the call at once with a 'cancelled' error (a running long call's worker is stopped). */
  signal?: AbortSignal;
  /** Hears how far the call is while it runs (the verifier's processed insns), a few times a second. */
  onProgress?: (p: CallProgress) => void;
}

export interface ApiBackend {
  call(method: string, params: unknown, opts?: CallOptions): Promise<ApiEnvelope>;
  close(): Promise<void>;
}

/**
 * Methods that may run for seconds (the verifier up to its 1M-insn limit). In the
 * worker backend they get a lane of their own so quick calls never wait behind them.
 */
export const LONG_METHODS: ReadonlySet<string> = new Set([
  'verify',
  'verifyStates',
  'kernelLog',
  'corpusStats',
  'jit',
  'compare',
  'diffModels',
  'validateModelText',
]);

/** Bounds of one long call in the worker backend. */
export const LONG_CALL_LIMITS = {
  /** Wall time of one call, queueing excluded (a 1M-insn verification takes 15–22 s here). */
  deadlineMs: 30_000,
  /** V8 old-generation heap of the long lane's worker. */
  heapMb: 1024,
};

export function inProcessBackend(root: string, fileRoots: readonly string[] | null = []): ApiBackend {
  const h = new ApiHandlers(root, fileRoots);
  return {
    call: (method, params, opts) => envelopeOf(h, method, params, opts?.onProgress),
    close: async () => {},
  };
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
  /** Overrides LONG_CALL_LIMITS (tests use short deadlines). */
  longCall?: Partial<typeof LONG_CALL_LIMITS>;
}

const failure = (code: ApiErrorInfo['code'], message: string): ApiEnvelope => ({
  ok: false,
  error: { code, message },
});

interface Job {
  id: number;
  method: string;
  params: unknown;
  resolve: (e: ApiEnvelope) => void;
  signal: AbortSignal | undefined;
  onProgress: ((p: CallProgress) => void) | undefined;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
  worker?: Worker;
  done?: boolean;
}

/**
 * One worker thread, started on first use and restarted if it dies. A bounded lane
 * runs one call at a time under a deadline and a heap limit, and stops its worker
 * when a call overruns or is cancelled (the next call starts a fresh one).
 */
function workerLane(opts: WorkerBackendOptions, bounds?: typeof LONG_CALL_LIMITS) {
  let worker: Worker | undefined;
  let nextId = 1;
  const running = new Map<Worker, Map<number, Job>>();
  const queue: Job[] = [];

  const finish = (job: Job, envelope: ApiEnvelope) => {
    if (job.done) return;
    job.done = true;
    clearTimeout(job.timer);
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (job.worker) running.get(job.worker)?.delete(job.id);
    job.resolve(envelope);
    if (bounds) pump();
  };

  const stop = (w: Worker) => {
    if (worker === w) worker = undefined;
    void w.terminate();
  };

  const start = (): Worker => {
    const data: ApiWorkerData = {
      kmodelApiWorker: {
        root: opts.root,
        ...(opts.fileRoots !== undefined ? { fileRoots: opts.fileRoots } : {}),
        ...(opts.recentModelsFile ? { recentModelsFile: opts.recentModelsFile } : {}),
      },
    };
    const w = new Worker(opts.entry, {
      workerData: data,
      argv: opts.argv,
      stdout: false,
      stderr: false,
      ...(bounds ? { resourceLimits: { maxOldGenerationSizeMb: bounds.heapMb } } : {}),
    });
    const jobs = new Map<number, Job>();
    running.set(w, jobs);
    const failAll = (e: ApiEnvelope) => {
      for (const job of [...jobs.values()]) finish(job, e);
    };
    w.on('message', (r: WorkerReply) => {
      const job = jobs.get(r.id);
      if (!job) return;
      if ('progress' in r) job.onProgress?.(r.progress);
      else finish(job, r.envelope);
    });
    w.on('error', (e: Error & { code?: string }) =>
      failAll(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failure('internal', `out of memory: the call needed more than ${bounds?.heapMb} MB of heap`)
          : failure('internal', `API worker failed: ${e.message}`),
      ),
    );
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      running.delete(w);
      failAll(failure('internal', `API worker exited (code ${code})`));
    });
    // The server, not the worker, decides when the process ends.
    w.unref();
    return w;
  };

  const send = (job: Job) => {
    worker ??= start();
    const w = worker;
    job.worker = w;
    running.get(w)!.set(job.id, job);
    try {
      w.postMessage({
        id: job.id,
        method: job.method,
        params: job.params,
        ...(job.onProgress ? { progress: true } : {}),
      } satisfies WorkerRequest);
    } catch (e) {
      finish(job, failure('bad-request', `${job.method}: params cannot be sent: ${(e as Error).message}`));
      return;
    }
    if (bounds) {
      job.timer = setTimeout(() => {
        // Stopped before finish() starts the next queued call, which must get a fresh worker.
        stop(w);
        finish(
          job,
          failure('timeout', `${job.method}: stopped after the ${bounds.deadlineMs / 1000} s limit`),
        );
      }, bounds.deadlineMs);
    }
  };

  const inFlight = () => {
    for (const jobs of running.values()) if (jobs.size) return true;
    return false;
  };

  function pump(): void {
    while (queue.length && !inFlight()) send(queue.shift()!);
  }

  return {
    call(method: string, params: unknown, opts: CallOptions = {}): Promise<ApiEnvelope> {
      const { signal, onProgress } = opts;
      return new Promise((resolve) => {
        const job: Job = { id: nextId++, method, params, resolve, signal, onProgress };
        if (signal?.aborted) return resolve(failure('cancelled', `${method}: cancelled`));
        if (signal) {
          job.onAbort = () => {
            const w = job.worker;
            const i = queue.indexOf(job);
            if (i >= 0) queue.splice(i, 1);
            // Only a bounded lane's worker runs nothing else worth keeping.
            if (bounds && w && !job.done) stop(w);
            finish(job, failure('cancelled', `${method}: cancelled`));
          };
          signal.addEventListener('abort', job.onAbort, { once: true });
        }
        if (bounds) {
          queue.push(job);
          pump();
        } else send(job);
      });
    },
    async close() {
      queue.length = 0;
      const ws = [...running.keys()];
      worker = undefined;
      await Promise.all(ws.map((w) => w.terminate()));
    },
  };
}

/**
 * Calls run in worker threads: LONG_METHODS in a bounded lane of their own (one at
 * a time, deadline, heap limit, cancellable), everything else in a second worker
 * that stays responsive meanwhile.
 */
export function workerBackend(opts: WorkerBackendOptions): ApiBackend {
  const quick = workerLane(opts);
  const long = workerLane(opts, { ...LONG_CALL_LIMITS, ...opts.longCall });
  return {
    // Only the long lane runs one call at a time, as progress reporting needs.
    call: (method, params, callOpts) =>
      LONG_METHODS.has(method)
        ? long.call(method, params, callOpts)
        : quick.call(method, params, callOpts?.signal ? { signal: callOpts.signal } : {}),
    async close() {
      await Promise.all([quick.close(), long.close()]);
    },
  };
}
