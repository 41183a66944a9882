// The location hash names the view and its argument: #program/hand-0002, #btf/tcp_sock.

export type ViewId = 'program' | 'btf' | 'verifier' | 'jit' | 'models' | 'graph' | 'report' | 'edit';
export interface Route {
  view: ViewId;
  arg: string | null;
}

const VIEWS: readonly ViewId[] = ['program', 'btf', 'verifier', 'jit', 'models', 'graph', 'report', 'edit'];

export function parseRoute(hash: string): Route {
  const [head, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const view = (VIEWS as readonly string[]).includes(head ?? '') ? (head as ViewId) : 'program';
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  return { view, arg: arg || null };
}

export const routeHash = (r: Route): string => `#${r.view}${r.arg ? `/${encodeURIComponent(r.arg)}` : ''}`;
