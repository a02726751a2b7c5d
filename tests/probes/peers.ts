// In-page probes for the TF.js peers (bench/peers/): a few training steps of one peer model on a chosen TF.js
// backend, from the model's own initial parameters and batches. The Node side runs the float64 reference on the
// same batches and compares losses and parameters. A step that left tensors behind would leak memory in the bench.
import { parseIclConfig } from '../../src/models/icl/config';
import { initialParams as iclInitialParams } from '../../src/models/icl/data';
import { parseScanSnapConfig } from '../../src/models/scansnap/index';
import { initialParams as scansnapInitialParams, tokenLayout } from '../../src/models/scansnap/data';
import { IclPeer } from '../../bench/peers/icl';
import { ScanSnapPeer } from '../../bench/peers/scansnap';
import { tf, usePeerBackend } from '../../bench/peers/tfjs';
import type { PeerBackend } from '../../bench/peers/rows';

interface PeerRun {
  backend: PeerBackend;
  config: Record<string, unknown>;
  replica: number;
  steps: number;
}

/** The losses of `steps` steps, and the tensors each step after the first left behind (the first creates the optimizer's state). */
async function train(peer: { step(t: number): tf.Scalar }, steps: number) {
  const losses: number[] = [];
  let afterFirst = 0;
  for (let t = 0; t < steps; t++) {
    const loss = peer.step(t);
    losses.push((await loss.data())[0]);
    loss.dispose();
    if (t === 0) afterFirst = tf.memory().numTensors;
  }
  return { losses, tensorsLeftPerStep: (tf.memory().numTensors - afterFirst) / (steps - 1) };
}

export async function iclPeerSteps({ backend, config: raw, replica, steps }: PeerRun) {
  await usePeerBackend(backend);
  const config = parseIclConfig(raw);
  const peer = new IclPeer(config, replica, iclInitialParams(config, replica));
  const { losses, tensorsLeftPerStep } = await train(peer, steps);
  const params = await peer.params();
  peer.dispose();
  return { backend: tf.getBackend(), losses, params, tensorsLeftPerStep };
}

export async function scansnapPeerSteps({ backend, config: raw, replica, steps }: PeerRun) {
  await usePeerBackend(backend);
  const config = parseScanSnapConfig(raw);
  const M = tokenLayout(config).M;
  const all = scansnapInitialParams(config, M);
  const init = { Y: all.Y.subarray(replica * M * M, (replica + 1) * M * M), Z: all.Z.subarray(replica * M * M, (replica + 1) * M * M) };
  const peer = new ScanSnapPeer(config, replica, init);
  const { losses, tensorsLeftPerStep } = await train(peer, steps);
  const params = await peer.params();
  peer.dispose();
  return { backend: tf.getBackend(), losses, params, tensorsLeftPerStep };
}
