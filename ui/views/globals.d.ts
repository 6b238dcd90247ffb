// Set at build time (vite.config.ts `define`): the Python package's __version__.
declare const __APP_VERSION__: string;
