// The renderer's one way to the core: Electron's preload (window.kmodel, IPC)
// when present, else `kmodel serve`'s HTTP API on the page's own origin.

import type { ApiEnvelope, ApiMethod, ApiParams, ApiResult, KmodelApi } from '../../main/api/types';

declare global {
  interface Window {
    kmodel?: KmodelApi;
  }
}

async function overHttp<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
  const res = await fetch(`./api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(params ?? {}),
  });
  let env: ApiEnvelope<ApiResult<M>>;
  try {
    env = (await res.json()) as ApiEnvelope<ApiResult<M>>;
  } catch {
    throw new Error(`${method}: HTTP ${res.status}`);
  }
  if (!env.ok) throw new Error(env.error.message);
  return env.result;
}

export function call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
  const bridge = window.kmodel;
  if (bridge) return (bridge[method] as (p: ApiParams<M>) => Promise<ApiResult<M>>)(params);
  return overHttp(method, params);
}

/** Typed facade: api.disasm({ hex }) etc., over whichever transport exists. */
export const api = new Proxy({} as KmodelApi, {
  get: (_t, method: string) => (params: unknown) => call(method as ApiMethod, params as never),
});

export const transport = (): 'ipc' | 'http' => (window.kmodel ? 'ipc' : 'http');
