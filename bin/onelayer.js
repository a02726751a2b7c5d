#!/usr/bin/env node
// Entry of the `onelayer` command: runs the TypeScript CLI (src/cli/main.ts) through tsx's ESM loader, so the
// CLI, the harness page and the tests share one source tree with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Dawn's GPU object and Chrome's pipe keep Node alive; the command has finished and flushed its files.
process.exit(code);
