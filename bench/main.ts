// `npm run bench:direct -- [options]` (tsx bench/main.ts): the bench without the onelayer CLI.
import { BENCH_USAGE, parseBenchArgs } from './options';
import { runBench } from './run';

try {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    process.exit(0);
  }
  await runBench(parseBenchArgs(args));
  process.exit(0); // Dawn's GPU object and Chrome's pipes keep Node alive otherwise
} catch (e) {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
}
