// Bundles the CLI (and the core it uses) so `kmodel` starts fast without a
// TypeScript loader. Runs at `npm install` (prepare).
//
// out/cli/kmodel.mjs is cli/main.ts: the command list and dispatch only. Each
// command module that cli/commands/index.ts loads with import('./NAME') is
// bundled on its own, with everything it uses, to out/cli/commands/NAME.mjs and
// imported from there when that command runs. Self-contained bundles rather
// than esbuild's code splitting: a command then loads two files, not a
// dozen shared chunks holding code for the other commands too (measured:
// splitting made `kmodel btf dump` ~12 ms slower to start).
//
// A command may itself import() a part few of its runs need (verify and jit load
// the model checker only for a struct_ops program: cli/prog-attach-model.ts).
// Each command is therefore its own build with splitting on: a command without
// import() is still one file, and one with it gets that part as a chunk under
// commands/chunks/ plus one chunk of what both halves share, so module state
// (the parsed reference BTF) stays single.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const out = process.env.KMODEL_CLI_OUT ?? 'out/cli';
const index = 'cli/commands/index.ts';
const names = [...readFileSync(index, 'utf8').matchAll(/import\(\s*'\.\/([\w-]+)'\s*\)/g)].map((m) => m[1]);
if (names.length === 0) throw new Error(`no import('./NAME') in ${index}`);

/** In the dispatcher, the commands' import('./NAME') become the bundles built here. */
const commandBundles = {
  name: 'kmodel-command-bundles',
  setup(b) {
    b.onResolve({ filter: /^\.\/[\w-]+$/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !args.importer.endsWith(index)) return undefined;
      return { path: `./commands/${args.path.slice(2)}.mjs`, external: true };
    });
  },
};

// Old bundles and chunks would only pile up.
rmSync(out, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
  // iced-x86 loads its wasm with Node file calls; playwright is test-only.
  external: ['iced-x86', 'playwright-core'],
  banner: {
    js: "import { createRequire as __kmodelRequire } from 'node:module'; const require = __kmodelRequire(import.meta.url);",
  },
};

const [result, ...commandResults] = await Promise.all([
  build({
    ...common,
    metafile: true,
    entryPoints: { kmodel: 'cli/main.ts' },
    outdir: out,
    plugins: [commandBundles],
  }),
  ...names.map((n) =>
    build({
      ...common,
      metafile: true,
      entryPoints: { [n]: `cli/commands/${n}.ts` },
      outdir: `${out}/commands`,
      splitting: true,
      chunkNames: `chunks/${n}-[name]-[hash]`,
    }),
  ),
]);

// verify, jit and stats of a non-struct_ops program must not load the model checker (~1 MB of zod and yaml).
for (const n of ['verify', 'jit', 'stats']) {
  const i = names.indexOf(n);
  if (i < 0) continue;
  const entry = commandResults[i].metafile.outputs[`${out}/commands/${n}.mjs`];
  const loaded = new Set([`${out}/commands/${n}.mjs`]);
  for (const im of entry.imports) if (im.kind === 'import-statement' && !im.external) loaded.add(im.path);
  const heavy = [...loaded].flatMap((o) =>
    Object.keys(commandResults[i].metafile.outputs[o]?.inputs ?? {}).filter((p) =>
      /node_modules\/(zod|yaml)\//.test(p),
    ),
  );
  if (heavy.length > 0)
    throw new Error(`${out}/commands/${n}.mjs loads ${heavy[0]} eagerly: import() the model path`);
}

// A command imported statically by index.ts would land in the dispatcher and load for every command.
const eager = Object.keys(result.metafile.outputs[`${out}/kmodel.mjs`].inputs).filter(
  (p) => p.startsWith('cli/commands/') && p !== index,
);
if (eager.length > 0)
  throw new Error(`${out}/kmodel.mjs must not bundle ${eager.join(', ')}: load it with import()`);
