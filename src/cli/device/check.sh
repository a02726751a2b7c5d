#!/usr/bin/env bash
# On a GPU server (after src/cli/device/bundle.sh here, with .gl/ carried there): the main job through the CLI
# (runtime node, Dawn + NVIDIA Vulkan), and a run killed with SIGKILL after a checkpoint, resumed and compared
# bit for bit with the uninterrupted one. Results go to $OUT (default out/).
set -uo pipefail
OUT=${OUT:-out}; mkdir -p "$OUT"
bash bench/device/sources.sh check .gl/bundle/onelayer.mjs || exit 3   # a stale bundle would test old code
(cd .gl && for f in *.deb; do dpkg -x $f /; done); ldconfig
xz -dc .gl/node.xz > /tmp/node && chmod +x /tmp/node
mkdir -p .gl/node_modules/webgpu/dist/linux-x64 && xz -dc .gl/dawn.xz > .gl/node_modules/webgpu/dist/linux-x64/dawn.node
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
CLI=".gl/bundle/onelayer.mjs"
/tmp/node $CLI doctor --runtime node 2>&1 | grep -v "^ \|^features"
/usr/bin/time -f "wall %e s" /tmp/node $CLI train --runtime node --out $OUT/full 2>&1 | grep -v "^step"
/tmp/node $CLI train --runtime node --out $OUT/killed > $OUT/killed.log 2>&1 &
pid=$!
for i in $(seq 1 600); do
  if [ -f $OUT/killed/checkpoint.json ] && /tmp/node -e "const s=JSON.parse(require('fs').readFileSync('$OUT/killed/checkpoint.json','utf8')).step; process.exit(s>0&&s<300?0:1)"; then kill -9 $pid; echo "killed at step $(/tmp/node -e "console.log(JSON.parse(require('fs').readFileSync('$OUT/killed/checkpoint.json','utf8')).step)")"; break; fi
  sleep 0.05
done
wait $pid; echo "killed run exit $?"
/tmp/node $CLI train --runtime node --resume $OUT/killed 2>&1 | grep -v "^step"
/tmp/node -e "
const fs=require('fs'); const a=JSON.parse(fs.readFileSync('$OUT/full/checkpoint.json','utf8')); const b=JSON.parse(fs.readFileSync('$OUT/killed/checkpoint.json','utf8'));
console.log('same step', a.step===b.step, 'same params bits', JSON.stringify(a.replicas)===JSON.stringify(b.replicas), 'same metrics', fs.readFileSync('$OUT/full/metrics.jsonl','utf8')===fs.readFileSync('$OUT/killed/metrics.jsonl','utf8'));"
