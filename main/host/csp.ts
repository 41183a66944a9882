// The app's Content-Security-Policy, sent as a header by `kmodel serve` and by the
// Electron protocol handler, and written into renderer/index.html's meta tag at
// build time. Everything comes from the app itself: no remote content, no eval,
// no inline script. Styles likewise come from built CSS files only.

export interface CspOptions {
  /** Vite's dev server injects <style> tags and talks over a websocket. */
  dev?: boolean;
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const d: Record<string, string> = {
    'default-src': "'self'",
    'script-src': "'self'",
    'style-src': opts.dev ? "'self' 'unsafe-inline'" : "'self'",
    'img-src': "'self' data:",
    'font-src': "'self'",
    'connect-src': opts.dev ? "'self' ws: http://localhost:*" : "'self'",
    'worker-src': "'self'",
    'object-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'none'",
  };
  return Object.entries(d)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}
