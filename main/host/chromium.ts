// Headless Chromium as kmodel drives it (export, bench): a fresh profile, no GPU, and none of
// the background connections a closed network would refuse. e2e/run.mjs (plain Node) keeps
// the same list.

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const chromiumPath = (): string => process.env.KMODEL_CHROMIUM ?? '/usr/bin/chromium';
