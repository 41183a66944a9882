// The location hash names the view and its argument: #program/hand-0002, #btf/tcp_sock,
// #graph/qdisc, #graph/%2Ftmp%2Fmine.yaml (a model is a shipped name or an absolute path).

export type ViewId =
  | 'home'
  | 'program'
  | 'btf'
  | 'verifier'
  | 'jit'
  | 'models'
  | 'graph'
  | 'report'
  | 'edit'
  | 'stats';
export interface Route {
  view: ViewId;
  arg: string | null;
}

const VIEWS: readonly ViewId[] = [
  'home',
  'program',
  'btf',
  'verifier',
  'jit',
  'models',
  'graph',
  'report',
  'edit',
  'stats',
];

export function parseRoute(hash: string): Route {
  const [head, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const view = (VIEWS as readonly string[]).includes(head ?? '') ? (head as ViewId) : 'home';
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  return { view, arg: arg || null };
}

export const routeHash = (r: Route): string => `#${r.view}${r.arg ? `/${encodeURIComponent(r.arg)}` : ''}`;

/** A model's program in the Verifier / JIT views (the route argument). */
export interface ModelProgramRef {
  /** The model identifier. */
  name: string;
  program: string;
  design?: 'kfunc' | 'wrapper' | 'helper';
  profile?: 'v6.12' | 'v6.18' | 'bpf-next-2026';
}

const DESIGNS = ['kfunc', 'wrapper', 'helper'] as const;
const PROFILES = ['v6.12', 'v6.18', 'bpf-next-2026'] as const;

/** `model/<program>/<design|auto>/<profile|auto>/<model>`: the model last, since a path holds slashes. */
export const modelProgramArg = (p: ModelProgramRef): string =>
  `model/${p.program}/${p.design ?? 'auto'}/${p.profile ?? 'auto'}/${p.name}`;

export function parseModelProgramArg(arg: string | null): ModelProgramRef | null {
  const m = arg ? /^model\/(\w+)\/([\w-]+)\/([\w.-]+)\/(.+)$/.exec(arg) : null;
  if (!m) return null;
  const design = (DESIGNS as readonly string[]).includes(m[2]!)
    ? (m[2] as ModelProgramRef['design'])
    : undefined;
  const profile = (PROFILES as readonly string[]).includes(m[3]!)
    ? (m[3] as ModelProgramRef['profile'])
    : undefined;
  return { name: m[4]!, program: m[1]!, ...(design ? { design } : {}), ...(profile ? { profile } : {}) };
}

/** The name a model is shown by: a shipped name as is, a path by its file name. */
export const modelLabel = (name: string): string =>
  (name.split(/[\\/]/).pop() ?? name).replace(/\.ya?ml$/i, '');
