// A fuzz campaign in a worker thread, so the parent can stop it when one input
// hangs. The index of the input being run is in shared memory for the watchdog.
import { parentPort, workerData } from 'node:worker_threads';
import { type CampaignStats, newStats, runCampaign } from './campaign';
import { targetByName } from './targets';

export interface FuzzWorkerData {
  target: string;
  seed: number;
  from: number;
  to: number;
  /** Int32Array over a SharedArrayBuffer: [0] = index of the input being run. */
  current: SharedArrayBuffer;
}

export type FuzzWorkerMessage =
  | { type: 'crash'; index: number; message: string; input: Uint8Array }
  | { type: 'progress'; stats: CampaignStats }
  | { type: 'done'; stats: CampaignStats };

const data = workerData as FuzzWorkerData;
const port = parentPort!;
const current = new Int32Array(data.current);
const target = targetByName(data.target);
let last = Date.now();
const stats = newStats(target.name);
await runCampaign(target, data.seed, data.from, data.to, {
  stats,
  onInput(i) {
    Atomics.store(current, 0, i);
    if (Date.now() - last > 2000) {
      last = Date.now();
      port.postMessage({ type: 'progress', stats } satisfies FuzzWorkerMessage);
    }
  },
  onCrash: (c) =>
    port.postMessage({
      type: 'crash',
      index: c.index,
      message: c.message,
      input: c.input,
    } satisfies FuzzWorkerMessage),
});
port.postMessage({ type: 'done', stats } satisfies FuzzWorkerMessage);
