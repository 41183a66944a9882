// The renderer for the browser host (`kmodel serve`): same sources as the
// Electron renderer, built to out/renderer-web. No node: imports here
// (test/layering.test.ts checks renderer/).
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: `${here}../out/renderer-web`,
    emptyOutDir: true,
    // CSP forbids inline scripts and styles; keep every asset a file.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4000,
  },
});
