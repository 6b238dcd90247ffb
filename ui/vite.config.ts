import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import { viteSingleFile } from "vite-plugin-singlefile";

// The views announce the Python package's version to the host, read from its one source, so it cannot drift.
const init = readFileSync(new URL("../dockerhub_mcp/__init__.py", import.meta.url), "utf-8");
const version = /^__version__\s*=\s*["']([^"']+)["']/m.exec(init)?.[1];
if (!version) throw new Error("vite.config.ts: no __version__ in dockerhub_mcp/__init__.py");

// One view per build: VIEW=audit vite build. Each becomes one HTML file with its script and CSS inline.
const view = process.env.VIEW ?? "cleanup-plan";
export default defineConfig({
  root: `views/${view}`,
  plugins: [viteSingleFile()],
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    outDir: `../../dist/${view}`,
    emptyOutDir: true,
    target: "es2022",
    // Keep CSS light-dark() native: a lower target makes lightningcss polyfill it with prefers-color-scheme,
    // which ignores the host's theme (applyDocumentTheme sets color-scheme on <html>).
    cssTarget: ["chrome123", "edge123", "firefox120", "safari17.5"],
    minify: true,
    sourcemap: false,
    modulePreload: { polyfill: false }, // the polyfill is the only fetch() a bundle would contain
  },
});
