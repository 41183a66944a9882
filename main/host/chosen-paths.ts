// Which model files the desktop app's API may write. The renderer names the path
// of a save, so a compromised page could otherwise overwrite any .yaml file the
// user can: only files under models/ or ones the user picked (a native dialog, the
// menu's Open Recent, a file dropped on the window) are writable.
import { resolve, sep } from 'node:path';

export class ChosenPaths {
  private readonly chosen = new Set<string>();
  private readonly roots: string[];

  constructor(roots: readonly string[]) {
    this.roots = roots.map((r) => resolve(r));
  }

  choose(path: string): void {
    this.chosen.add(resolve(path));
  }

  allows(path: string): boolean {
    const p = resolve(path);
    return this.chosen.has(p) || this.roots.some((r) => p.startsWith(r + sep));
  }
}

/** API methods that write the file their params name. */
const WRITING_METHODS: ReadonlySet<string> = new Set(['saveModel']);

/** Why an API call may not write the path it names, or null when it may (or writes nothing). */
export function writeRefusal(method: string, params: unknown, chosen: ChosenPaths): string | null {
  if (!WRITING_METHODS.has(method)) return null;
  const path = (params as { path?: unknown } | null | undefined)?.path;
  if (typeof path !== 'string') return null; // the API's own validation answers that
  return chosen.allows(path) ? null : `${path}: not a file opened or chosen in this app; use Save As`;
}
