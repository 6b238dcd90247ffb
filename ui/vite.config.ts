import { defineConfig } from "vite";
import { viteSingleFile } from "vite-plugin-singlefile";

// One view per build: VIEW=audit vite build. Each becomes one HTML file with its script and CSS inline.
const view = process.env.VIEW ?? "cleanup-plan";
export default defineConfig({
  root: `views/${view}`,
  plugins: [viteSingleFile()],
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
