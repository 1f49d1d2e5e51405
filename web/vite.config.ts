import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The WebChat / Control UI bundle: web/ → web/dist, served by the gateway at `/`. No inlined assets
 * (the CSP allows scripts from 'self' only), relative base so the files work under any path.
 */
export default defineConfig({
  root: webRoot,
  base: './',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      // src/protocol's modules only declare schemas and constants: a module none of whose exports is
      // used can go, so importing a constant does not pull every TypeBox schema into the bundle.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]src[\\/]protocol[\\/]/.test(id) },
    },
  },
  server: {
    fs: { allow: [repoRoot] },
  },
});
