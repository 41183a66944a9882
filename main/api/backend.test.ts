import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiBackend, LONG_METHODS, workerBackend } from './backend';

const entry = resolve(__dirname, '../../test/fixtures/api/fake-worker.mjs');
let backend: ApiBackend | undefined;
const make = (longCall: { deadlineMs?: number; heapMb?: number } = {}) => {
  backend = workerBackend({ entry, root: '/', longCall });
  return backend;
};
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

describe('workerBackend', () => {
  it('sends the verifier and the JIT to the long lane', () => {
    // Other calls may join the long lane; these must be there, and the quick ones must not.
    for (const m of ['compare', 'jit', 'validateModelText', 'verify']) expect(LONG_METHODS.has(m)).toBe(true);
    for (const m of ['version', 'openModelFile', 'saveModel', 'listModels'])
      expect(LONG_METHODS.has(m)).toBe(false);
  });

  it('answers quick calls while a long call runs, and stops the long call at its deadline', async () => {
    const b = make({ deadlineMs: 1500 });
    const long = b.call('verify', { do: 'spin' });
    const quick = await b.call('version', {});
    expect(quick).toMatchObject({ ok: true, result: { method: 'version' } });
    expect(await long).toEqual({
      ok: false,
      error: { code: 'timeout', message: 'verify: stopped after the 1.5 s limit' },
    });
    // A fresh worker takes the next long call.
    expect(await b.call('verify', { do: 'echo' })).toMatchObject({ ok: true, result: { method: 'verify' } });
  });

  it('runs long calls one at a time, the deadline counting from each start', async () => {
    const b = make({ deadlineMs: 1000 });
    const first = b.call('jit', { do: 'spin' });
    const second = b.call('jit', { do: 'echo' });
    expect((await first).ok).toBe(false);
    expect(await second).toMatchObject({ ok: true });
  });

  it('cancels a running or queued long call when its signal aborts', async () => {
    const b = make();
    const running = new AbortController();
    const queued = new AbortController();
    const a = b.call('verify', { do: 'spin' }, { signal: running.signal });
    const q = b.call('verify', { do: 'echo' }, { signal: queued.signal });
    queued.abort();
    expect(await q).toEqual({ ok: false, error: { code: 'cancelled', message: 'verify: cancelled' } });
    running.abort();
    expect(await a).toEqual({ ok: false, error: { code: 'cancelled', message: 'verify: cancelled' } });
    expect(await b.call('verify', { do: 'echo' })).toMatchObject({ ok: true });
  });

  it("passes a long call's progress messages to its caller, then its answer", async () => {
    const b = make();
    const seen: number[] = [];
    const r = await b.call('verify', { do: 'progress' }, { onProgress: (p) => seen.push(p.processed) });
    expect(seen).toEqual([8192, 16384, 24576]);
    expect(r).toMatchObject({ ok: true, result: { method: 'verify' } });
    // A caller that does not listen is not sent any.
    expect(await b.call('verify', { do: 'progress' })).toMatchObject({ ok: true });
  });

  it('ends a long call that outgrows its heap with an error, not a dead process', async () => {
    const b = make({ heapMb: 64 });
    const r = await b.call('compare', { do: 'hog' });
    expect(r).toEqual({
      ok: false,
      error: { code: 'internal', message: 'out of memory: the call needed more than 64 MB of heap' },
    });
    expect(await b.call('compare', { do: 'echo' })).toMatchObject({ ok: true });
  });

  it('answers params that cannot be cloned to the worker with bad-request', async () => {
    const b = make();
    const r = await b.call('version', { f: () => 1 });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});
