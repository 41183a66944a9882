// The app's own `kmodel://app/` scheme: which pages count as the app (they may call the
// API and the dialogs over IPC, and the window may navigate to them), and which renderer
// file a request names. Electron-free so it can be tested.
import { join, normalize, sep } from 'node:path';

export const APP_SCHEME = 'kmodel';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Whether a page (an IPC sender's frame, a navigation target) is the app: the kmodel://app
 * pages, and in development the dev server's origin. Origins are compared whole, so
 * http://localhost:5173.evil.example is not the dev server at http://localhost:5173.
 */
export function trustedSender(url: string | undefined, devUrl?: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST) return true;
  const dev = parse(devUrl);
  return dev !== null && dev.origin !== 'null' && u.origin === dev.origin;
}

function parse(url: string | undefined): URL | null {
  if (!url) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The file under `rendererDir` a kmodel://app/… request names, or null (another host, a path out of the folder, a bad escape). */
export function appFilePath(rendererDir: string, requestUrl: string): string | null {
  const url = parse(requestUrl);
  if (!url || url.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const file = normalize(join(rendererDir, rel));
  return file.startsWith(normalize(rendererDir) + sep) ? file : null;
}
