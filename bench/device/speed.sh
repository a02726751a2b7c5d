#!/usr/bin/env bash
# Issue 13's GPU measurements in one command on a GPU server with no npm. Here first: bash src/cli/device/bundle.sh
# (it runs bench/device/bundle.sh too), then carry .gl/ to the server and run, from the repository root there:
#   OUT=out bash bench/device/speed.sh
# It unpacks Node, dawn.node and the Vulkan loader (as src/cli/device/check.sh does), then writes to $OUT:
#   bench-peers.json/.txt  `--files icl,scansnap --peers --tune`: onelayer's ICL steps (R 1 and 256) and Scan & Snap
#                          steps (R 1, the grid group at R 160) with GPU time per kernel and wall per step, each call
#                          site's kernel variants timed first as train does (the choices in the JSON's tuning); then the
#                          peers file: ICL R 1 and 16 and Scan & Snap R 16 by onelayer and by TF.js WebGPU (the
#                          same Dawn), WASM and CPU on the same adapter, and the table of ratios;
#   synmed/, synmed.txt    the whole Syn-Medium grid through the CLI (`sweep scansnap-medium --runtime node`);
#   gemm.json/.txt         `--files foundation --filter '^gemm 512'`: the 512^3 product in each variant the tuner
#                          offers a GPU (the 8 x 8 blocks in 64 x 64 tiles had not been timed on a GPU before).
# Each part has a time limit, so that the whole fits in a few minutes of a lent machine; a bench part stopped by
# its limit keeps what it finished in its JSON (written after every entry, marked incomplete).
# It stops first, before any device work, when a bundle was built from other sources than the tree it came with.
set -uo pipefail
OUT=${OUT:-out}; mkdir -p "$OUT"
for b in bench onelayer; do bash bench/device/sources.sh check .gl/bundle/$b.mjs || exit 3; done
cp .gl/bundle/*.mjs.sources "$OUT/"
(cd .gl && for f in *.deb; do dpkg -x "$f" /; done); ldconfig
xz -dc .gl/node.xz > /tmp/node && chmod +x /tmp/node
mkdir -p .gl/node_modules/webgpu/dist/linux-x64 && xz -dc .gl/dawn.xz > .gl/node_modules/webgpu/dist/linux-x64/dawn.node
mkdir -p node_modules/@tensorflow/tfjs-backend-wasm/dist && cp .gl/tfjs-wasm/*.wasm node_modules/@tensorflow/tfjs-backend-wasm/dist/
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
timeout 300 /tmp/node .gl/bundle/bench.mjs --files icl,scansnap --peers --tune --out "$OUT/bench-peers.json" > "$OUT/bench-peers.txt" 2>&1
echo "bench exit $?"; tail -20 "$OUT/bench-peers.txt"
timeout 120 /tmp/node .gl/bundle/onelayer.mjs sweep scansnap-medium --runtime node --out "$OUT/synmed" > "$OUT/synmed.txt" 2>&1
echo "sweep exit $?"; tail -3 "$OUT/synmed.txt"
timeout 60 /tmp/node .gl/bundle/bench.mjs --files foundation --filter '^gemm 512' --out "$OUT/gemm.json" > "$OUT/gemm.txt" 2>&1
echo "gemm exit $?"; grep '^gemm' "$OUT/gemm.txt"
