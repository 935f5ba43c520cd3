import { defineConfig } from "vite";

// No React plugin: the TSX transform (automatic runtime) is all the UI needs; `vite` dev server proxies the API.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
