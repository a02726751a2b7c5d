#!/usr/bin/env bash
# Packs what a GPU machine with no npm needs to run the bench in Node through Dawn, into .gl/ (git-ignored):
# the bundled bench, a compressed Node binary, Dawn's dawn.node, and the Vulkan loader and GL vendor libraries
# that NVIDIA's Vulkan ICD needs. On the GPU machine, from the repository root:
#   cd .gl && for f in *.deb; do dpkg -x $f /; done; ldconfig; cd ..
#   xz -dc .gl/node.xz > /tmp/node && chmod +x /tmp/node
#   mkdir -p .gl/node_modules/webgpu/dist/linux-x64 && xz -dc .gl/dawn.xz > .gl/node_modules/webgpu/dist/linux-x64/dawn.node
#   VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /tmp/node .gl/bundle/bench.mjs --out bench.json
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gl/bundle .gl/node_modules/webgpu
node_modules/.bin/esbuild bench/device/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile=.gl/bundle/bench.mjs --log-level=warning
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
