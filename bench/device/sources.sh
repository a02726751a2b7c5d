#!/usr/bin/env bash
# Which sources a device bundle (.gl/bundle/*.mjs) was built from. A bundle is built here and run on a lent GPU
# machine that receives a copy of the working tree; a bundle left over from an older build (.gl/ is git-ignored
# and outlives commits) would time old kernels there, in minutes of device time that cannot be had back. So the
# bundle scripts stamp what they build, and the scripts that run on the device check the stamp first.
#   bash bench/device/sources.sh                  prints the fingerprint of what a bundle holds: the TypeScript under
#                                                 src/ and bench/ and the lock file (WGSL is read from shaders/ at run
#                                                 time, so a bundle never holds old kernels' source)
#   bash bench/device/sources.sh stamp FILE.mjs   writes FILE.mjs.sources: fingerprint, commit, build time
#   bash bench/device/sources.sh check FILE.mjs   exits 3, saying so, unless FILE.mjs was built from these sources
# Needs only coreutils and find (no git, no Node): it runs on the device before anything else.
set -euo pipefail
cd "$(dirname "$0")/../.."

fingerprint() {
  find src bench -type f -name '*.ts' -not -path 'bench/results/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | cat - package-lock.json | sha256sum | cut -c1-16
}

case "${1:-}" in
  '') fingerprint ;;
  stamp)
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -n "$(git status --porcelain 2>/dev/null)" ] && commit="$commit+uncommitted"
    echo "$(fingerprint) $commit $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$2.sources"
    ;;
  check)
    if [ ! -f "$2.sources" ]; then
      echo "$2 has no stamp ($2.sources): rebuild it here with bash src/cli/device/bundle.sh" >&2; exit 3
    fi
    read -r built commit when < "$2.sources"
    now=$(fingerprint)
    if [ "$built" != "$now" ]; then
      echo "$2 was built at $when (commit $commit) from other sources (fingerprint $built, these: $now): rebuild it with bash src/cli/device/bundle.sh and carry .gl again" >&2
      exit 3
    fi
    echo "$2: built $when from commit $commit, these sources ($now)"
    ;;
  *) echo "usage: bash bench/device/sources.sh [stamp FILE.mjs | check FILE.mjs]" >&2; exit 2 ;;
esac
