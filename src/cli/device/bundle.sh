#!/usr/bin/env bash
# Packs the onelayer CLI for a GPU server that has no npm (runtime node only: Dawn with the server's Vulkan
# driver). Runs bench/device/bundle.sh first (the bench bundle, the Node binary, dawn.node and Vulkan/GL .debs in
# .gl/). Adds .gl/bundle/onelayer.mjs and stand-ins for puppeteer and vite, which the bundle imports but
# --runtime node never calls. On the server, from the repository root: bash src/cli/device/check.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash bench/device/bundle.sh   # the bench bundle, rebuilt every time; Node, dawn.node and the .debs packed once
mkdir -p .gl/cli .gl/bundle
printf "import { main } from '../../src/cli/main.ts';\nprocess.exit(await main(process.argv.slice(2)));\n" > .gl/cli/entry.ts
node_modules/.bin/esbuild .gl/cli/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --external:puppeteer --external:vite --external:tsx --outfile=.gl/bundle/onelayer.mjs --log-level=warning
bash bench/device/sources.sh stamp .gl/bundle/onelayer.mjs   # check.sh and speed.sh refuse a stale bundle
for p in puppeteer vite; do
  mkdir -p .gl/node_modules/$p
  echo "{\"name\":\"$p\",\"type\":\"module\",\"main\":\"index.js\"}" > .gl/node_modules/$p/package.json
done
echo 'export default {};' > .gl/node_modules/puppeteer/index.js
echo 'export function createServer() { throw new Error("vite is not installed here: use --runtime node"); }' > .gl/node_modules/vite/index.js
du -sh .gl
