// Headless Chromium as kmodel drives it (export, bench, e2e): a fresh profile, no GPU, and none
// of the background connections a closed network would refuse. The list is JSON so that
// e2e/run.mjs (plain Node, no TypeScript) reads the same one.
import args from './chromium-args.json';

export const CHROMIUM_ARGS: string[] = args;

export const chromiumPath = (): string => process.env.KMODEL_CHROMIUM ?? '/usr/bin/chromium';
