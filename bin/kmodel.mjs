#!/usr/bin/env node
// The CLI is bundled at install time (npm's prepare script → out/cli/kmodel.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../out/cli/kmodel.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('kmodel: the CLI is not built yet; run `npm run build:cli` (npm install does it)\n');
  process.exit(2);
}
await import(bundle);
