// Which HTTP API requests `kmodel serve` answers. The API can now write model
// files, so another web site open in the same browser must not reach it:
// a cross-origin POST carries an Origin that differs from the Host it was sent
// to, and a DNS-rebinding page reaches a loopback server under a foreign Host.

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

const hostName = (host: string): string => host.replace(/:\d+$/, '');

/** Why the request is refused, or null when it may be answered. */
export function apiRequestRefusal(
  headers: { host?: string | undefined; origin?: string | undefined },
  loopbackOnly: boolean,
): string | null {
  const host = headers.host ?? '';
  if (loopbackOnly && !LOOPBACK.test(hostName(host))) return `Host '${host}' is not this machine`;
  const origin = headers.origin;
  if (origin === undefined) return null; // not a browser page (curl, tests, the export host)
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return `bad Origin '${origin}'`;
  }
  if (o.host !== host) return `cross-origin API call from ${origin} refused`;
  return null;
}

/** Whether a listen address is loopback (then Host headers must be loopback names too). */
export const isLoopbackAddress = (addr: string): boolean =>
  addr === '::1' || addr === 'localhost' || /^(?:::ffff:)?127\./.test(addr);
