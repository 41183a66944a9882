// Electron build: main process (+ the API worker thread), sandboxed preload and
// the Svelte renderer, all from the top-level folders (electron-vite would look
// under src/ by default), output to out/{main,preload,renderer}.
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { contentSecurityPolicy } from './main/host/csp';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: {
        input: { index: resolve(root, 'main/index.ts'), worker: resolve(root, 'main/api/worker.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rolldownOptions: {
        input: { preload: resolve(root, 'main/preload.ts') },
        // Sandboxed preloads cannot be ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [
      svelte(),
      {
        // The dev server injects <style> tags and a websocket; the built app keeps the strict policy.
        name: 'kmodel-dev-csp',
        apply: 'serve',
        transformIndexHtml: (html) =>
          html.replace(
            /(http-equiv="Content-Security-Policy"\s+content=")[^"]*"/,
            `$1${contentSecurityPolicy({ dev: true })}"`,
          ),
      },
    ],
    build: {
      outDir: resolve(root, 'out/renderer'),
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 4000,
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
