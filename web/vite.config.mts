// The demo client, with web/ as Vite's root: `npm run web` serves it with the dev server,
// `npm run build:web` builds it into web/dist. No React plugin: Vite's own transform compiles
// the JSX (automatic runtime); the app does without Fast Refresh.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the build works from any path (a static server, or under the gateway).
  base: './',
  server: { port: 5173 },
  preview: { port: 5173 },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
