// The bench's TF.js peers compute the models of SPEC §1 and §2: a few training steps of each peer, on every TF.js
// backend the bench times (WebGPU on this page's adapter, WASM, CPU), from the model's own initial parameters
// and batches, give the losses and parameters of the float64 references (src/reference/icl.ts, scansnap.ts)
// run on the same batches, to float32 accuracy. The shapes are awkward on purpose (dA ≠ dV ≠ d, replica 1).
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, relativeError } from '../compare';
import { parseIclConfig, iclShapes } from '../../src/models/icl/config';
import { densePrompts, inDomainPatterns, initialParams as iclInitialParams, trainingBatch } from '../../src/models/icl/data';
import { iclSgdStepReference, ICL_PARAM_NAMES, type IclParamName } from '../../src/reference/icl';
import { parseScanSnapConfig } from '../../src/models/scansnap/index';
import { etaYOf } from '../../src/models/scansnap/config';
import { initialParams as scansnapInitialParams, SequenceSampler, sequenceStride } from '../../src/models/scansnap/data';
import { scansnapLossAndGradsReference } from '../../src/reference/scansnap';
import { sgdMomentumReference } from '../../src/reference/sgdMomentum';
import { PEER_BACKENDS } from '../../bench/peers/rows';

const STEPS = 4;
const REPLICA = 1;

interface PeerSteps<P> {
  backend: string;
  losses: number[];
  params: P;
  tensorsLeftPerStep: number;
}

// eta 3 rather than the default 10: four steps then move the parameters well away from the start (so a wrong
// gradient shows) without pushing prompts onto the hinge's kink, where float32 and float64 may differ in sign.
const ICL = { dX: 8, dY: 3, N: 5, dA: 6, dV: 7, m: 10, batch: 12, M1: 4, M2: 4, eta: 3, initNoise: 0.2, seed: 3, replicas: 2 };
const SCANSNAP = { numCommon: 4, numQuery: 2, nextPerQuery: 2, distinctPerNext: 3, L: 9, batch: 6, etaY: 2, etaZ: 0.5, momentum: 0.9, init: 'uniform', seed: 5, replicas: 2 };

function iclReference() {
  const config = parseIclConfig(ICL);
  const shapes = iclShapes(config);
  const patterns = inDomainPatterns(config, REPLICA);
  let params = iclInitialParams(config, REPLICA);
  const losses: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const step = iclSgdStepReference(shapes, params, densePrompts(config, trainingBatch(config, REPLICA, t), patterns), config.eta as number);
    losses.push(step.loss);
    params = step.params;
  }
  return { losses, params, start: iclInitialParams(config, REPLICA) };
}

function scansnapReference() {
  const config = parseScanSnapConfig(SCANSNAP);
  const sampler = new SequenceSampler(config);
  const M = sampler.layout.M;
  const init = scansnapInitialParams(config, M);
  const slice = (p: Float32Array) => Float64Array.from(p.subarray(REPLICA * M * M, (REPLICA + 1) * M * M));
  let Y: { param: Float64Array; velocity: Float64Array | null } = { param: slice(init.Y), velocity: null };
  let Z: { param: Float64Array; velocity: Float64Array | null } = { param: slice(init.Z), velocity: null };
  const ids = new Uint32Array(config.batch * sequenceStride(config.L));
  const losses: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    sampler.fill(ids, 0, config.batch, config.seed, REPLICA, t);
    const g = scansnapLossAndGradsReference(M, Y.param, Z.param, ids, config.batch, config.L);
    losses.push(g.loss);
    Y = sgdMomentumReference(M * M, Y.param, g.dY, Y.velocity, [etaYOf(config, REPLICA)], [0.9]);
    Z = sgdMomentumReference(M * M, Z.param, g.dZ, Z.velocity, [config.etaZ as number], [0.9]);
  }
  return { losses, Y: Y.param, Z: Z.param, start: { Y: slice(init.Y), Z: slice(init.Z) } };
}

describe('TF.js peers against the float64 references', () => {
  const gpu = useGpu();
  const icl = iclReference();
  const scansnap = scansnapReference();

  it('the references move the parameters, so matching them tests the gradients', () => {
    for (const name of ICL_PARAM_NAMES) expect(relativeError(icl.start[name], icl.params[name]), `ICL ${name}`).toBeGreaterThan(1e-3);
    expect(relativeError(scansnap.start.Y, scansnap.Y)).toBeGreaterThan(1e-2);
    expect(relativeError(scansnap.start.Z, scansnap.Z)).toBeGreaterThan(1e-3);
  });

  for (const backend of PEER_BACKENDS) {
    it(`ICL peer on tfjs-${backend}: ${STEPS} SGD steps give the reference's losses and parameters`, async () => {
      const run = await gpu().call<PeerSteps<Record<IclParamName, Float32Array>>>('/tests/probes/peers.ts', 'iclPeerSteps', { backend, config: ICL, replica: REPLICA, steps: STEPS });
      expect(run.backend).toBe(backend);
      expectClose(run.losses, icl.losses, 1e-6, `tfjs-${backend} ICL losses`);
      for (const name of ICL_PARAM_NAMES) expectClose(run.params[name], icl.params[name], 1e-6, `tfjs-${backend} ICL ${name} after ${STEPS} steps`);
      expect(run.tensorsLeftPerStep).toBe(0);
    });

    it(`Scan & Snap peer on tfjs-${backend}: ${STEPS} momentum steps (etaY ≠ etaZ) give the reference's losses and parameters`, async () => {
      const run = await gpu().call<PeerSteps<{ Y: Float32Array; Z: Float32Array }>>('/tests/probes/peers.ts', 'scansnapPeerSteps', { backend, config: SCANSNAP, replica: REPLICA, steps: STEPS });
      expect(run.backend).toBe(backend);
      expectClose(run.losses, scansnap.losses, 1e-6, `tfjs-${backend} Scan & Snap losses`);
      expectClose(run.params.Y, scansnap.Y, 1e-6, `tfjs-${backend} Y after ${STEPS} steps`);
      expectClose(run.params.Z, scansnap.Z, 1e-6, `tfjs-${backend} Z after ${STEPS} steps`);
      expect(run.tensorsLeftPerStep).toBe(0);
    });
  }
});
