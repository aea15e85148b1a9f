import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The dashboard: built into dist/web and served by the api role at `/` (see src/http/web.ts). */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  // jsxDev off even when NODE_ENV is not 'production' (vitest sets 'test'): same bundle everywhere.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', jsxDev: false },
  build: {
    outDir: path.resolve(here, '../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // Hashed file names: the server caches /assets/* for a year and index.html never.
    assetsDir: 'assets',
    // A strict CSP (no inline script or style) rules out inlined module preload polyfills.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
