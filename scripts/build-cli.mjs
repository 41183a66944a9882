// Bundles the CLI (and the core it uses) into out/cli/kmodel.mjs so `kmodel`
// starts fast without a TypeScript loader. Runs at `npm install` (prepare).
import { build } from 'esbuild';

await build({
  entryPoints: ['cli/main.ts'],
  outfile: 'out/cli/kmodel.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // iced-x86 loads its wasm with Node file calls; playwright is test-only.
  external: ['iced-x86', 'playwright-core'],
  banner: {
    js: "import { createRequire as __kmodelRequire } from 'node:module'; const require = __kmodelRequire(import.meta.url);",
  },
});
