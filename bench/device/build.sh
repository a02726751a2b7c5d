#!/usr/bin/env bash
# Bundles the bench (bench/device/entry.ts, every entry file, TF.js for --peers) into one Node .mjs with esbuild:
#   bash bench/device/build.sh [OUT]        (default .gl/bundle/bench.mjs)
# OUT must sit two folders below the repository root (.gl/bundle/; the test uses test-artifacts/): the TF.js WASM
# binaries are found at ../../node_modules/@tensorflow/tfjs-backend-wasm/dist/ from it, and `webgpu` (external)
# in a node_modules above it. TF.js's ESM builds (`module` field, as in a browser bundle) are used, and the banner
# gives them the CommonJS names (require, __dirname) that its Node paths use.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-.gl/bundle/bench.mjs}
mkdir -p "$(dirname "$OUT")"
node_modules/.bin/esbuild bench/device/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --main-fields=module,main --external:webgpu --outfile="$OUT" --log-level=error \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; import { dirname as __pathDirname } from 'node:path'; const require = __createRequire(import.meta.url); const __filename = __fileURLToPath(import.meta.url); const __dirname = __pathDirname(__filename);"
