// Every bench/entries/*.ts for code that vite bundles (the harness page, the bench page's worker): the browser
// counterpart of nodeEntryLoaders in bench/run.ts. A new entry file is found at the next build or page load;
// nothing here changes. Modules load only when a run asks for their file.
import type { EntryLoaders } from './core';

const modules = import.meta.glob('/bench/entries/*.ts');

export const browserEntryLoaders: EntryLoaders = Object.fromEntries(
  Object.entries(modules).map(([path, load]) => [path.replace(/^.*\//, '').replace(/\.ts$/, ''), load]),
);
