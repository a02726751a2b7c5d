#!/usr/bin/env bash
# The main job in one command, on a fresh Debian/Ubuntu machine with Node >= 20.19: installs what is missing
# (Chromium for headless WebGPU, libvulkan1 for the Node/Dawn runtime, the npm packages), then trains the default
# ICL preset headless through the onelayer CLI with a live progress line, and prints where the results and
# figures went. Arguments are passed to `onelayer train` (e.g. ./setup-and-train.sh icl-mechanism --replicas 4).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
if [ -z "${ONELAYER_CHROME:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
  && ! command -v google-chrome-stable >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then need_apt+=(libvulkan1); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

exec node bin/onelayer.js train "$@"
