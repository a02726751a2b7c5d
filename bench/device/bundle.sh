#!/usr/bin/env bash
# Packs what a GPU machine with no npm needs to run the bench in Node through Dawn, into .gl/ (git-ignored):
# the bundled bench (bench/device/build.sh) with TF.js's WASM binaries, a compressed Node binary, Dawn's
# dawn.node, and the Vulkan loader and GL vendor libraries that NVIDIA's Vulkan ICD needs (those three are packed
# once and kept; the bench is rebuilt and stamped on every call: bench/device/sources.sh). On the GPU machine,
# from the repository root:
#   cd .gl && for f in *.deb; do dpkg -x $f /; done; ldconfig; cd ..
#   xz -dc .gl/node.xz > /tmp/node && chmod +x /tmp/node
#   mkdir -p .gl/node_modules/webgpu/dist/linux-x64 && xz -dc .gl/dawn.xz > .gl/node_modules/webgpu/dist/linux-x64/dawn.node
#   mkdir -p node_modules/@tensorflow/tfjs-backend-wasm/dist && cp .gl/tfjs-wasm/*.wasm node_modules/@tensorflow/tfjs-backend-wasm/dist/
#   VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /tmp/node .gl/bundle/bench.mjs --out bench.json
# (--peers adds the TF.js rows on the same GPU: WebGPU through the same Dawn, WASM and CPU; the line before it
# puts the WASM backend's binaries where the bundle looks)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gl/bundle .gl/node_modules/webgpu
bash bench/device/build.sh .gl/bundle/bench.mjs
bash bench/device/sources.sh stamp .gl/bundle/bench.mjs   # speed.sh refuses a bundle built from other sources
mkdir -p .gl/tfjs-wasm && cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gl/tfjs-wasm/
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gl/node_modules/webgpu/
[ -f .gl/node.xz ] || xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gl/node.xz
[ -f .gl/dawn.xz ] || xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gl/dawn.xz
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/onelayer-apt-amd64'
  mkdir -p /tmp/onelayer-apt-amd64/partial
  apt-get $o update -qq
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh .gl
