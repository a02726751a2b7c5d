// onelayer against TensorFlow.js on the same adapter, in the same page: the ICL training step (SPEC defaults,
// R = 1 and R = 16) and the Scan & Snap step (the Syn-Medium grid's largest shape, numQuery 10, M = 240, R = 16),
// each by onelayer's trainer and by the TF.js peers of bench/peers/ on the WebGPU, WASM and CPU backends. The
// peers train on the same batches, with the same loss and optimizer (tested against the float64 references in
// tests/bench/peers.test.ts). A peer holds one model, so its R = 16 is 16 models stepped one after another.
// Every row counts replica-steps (steps × R). This file runs only when asked (`onelayer bench --peers`, the
// bench page's peers box): loading TF.js and building its models takes a while.
import type { GpuContext } from '../../src/runtime/context';
import { IclTrainer } from '../../src/models/icl/model';
import { iclShapes, parseIclConfig, type IclConfig } from '../../src/models/icl/config';
import { initialParams as iclInitialParams } from '../../src/models/icl/data';
import { ScanSnapTrainer } from '../../src/models/scansnap/model';
import { parseScanSnapConfig } from '../../src/models/scansnap/index';
import type { ScanSnapConfig } from '../../src/models/scansnap/config';
import { initialParams as scansnapInitialParams, tokenLayout } from '../../src/models/scansnap/data';
import { IclPeer } from '../peers/icl';
import { ScanSnapPeer } from '../peers/scansnap';
import { PEER_BACKENDS, PEER_UNIT, peerImplementation, peerRowName, type PeerBackend } from '../peers/rows';
import { tf, usePeerBackend } from '../peers/tfjs';
import type { BenchEntry, BenchEntryOptions } from '../types';

interface PeerModel {
  step(step: number): tf.Scalar;
}

/** onelayer's trainer: `steps` steps of all its replicas per timed run. */
function onelayerEntry(name: string, shape: string, trainer: IclTrainer | ScanSnapTrainer, replicas: number, steps: number): BenchEntry {
  return {
    name,
    shape: `${shape}; host work: ${steps} steps of ${replicas} replica${replicas === 1 ? '' : 's'}`,
    dispatches: [],
    hostWork: { unit: PEER_UNIT, amount: steps * replicas, run: async () => void (await trainer.train(steps, { metricsEvery: 0, metricsAtEnd: false })) },
  };
}

/** A peer's models, each stepped `steps` times per timed run, one model after another. */
function peerEntry(name: string, shape: string, backend: PeerBackend, models: PeerModel[], steps: number): BenchEntry {
  let step = 0;
  return {
    name,
    shape: `${shape}; host work: ${steps} step${steps === 1 ? '' : 's'} of ${models.length} model${models.length === 1 ? '' : 's'} in turn; TF.js ${tf.version_core}`,
    dispatches: [],
    hostWork: {
      unit: PEER_UNIT,
      amount: steps * models.length,
      run: async () => {
        await usePeerBackend(backend);
        let loss: tf.Scalar | null = null;
        for (let k = 0; k < steps; k++, step++) {
          for (const model of models) {
            loss?.dispose();
            loss = model.step(step);
          }
        }
        // Reading the last loss flushes the backend's queue, so the timed run ends when every update has landed
        // (WebGPU runs asynchronously; the other two are done already). One read per run, as a training loop
        // that logs now and then would do.
        await loss!.data();
        loss!.dispose();
      },
    },
  };
}

/** The peer models of every backend; each backend's are created while it is TF.js's current backend. */
async function peerModels(replicas: number, create: (replica: number) => PeerModel): Promise<Map<PeerBackend, PeerModel[]>> {
  const models = new Map<PeerBackend, PeerModel[]>();
  for (const backend of PEER_BACKENDS) {
    await usePeerBackend(backend);
    models.set(backend, Array.from({ length: replicas }, (_, r) => create(r)));
  }
  return models;
}

async function iclEntries(ctx: GpuContext, config: IclConfig, replicas: number, steps: number): Promise<BenchEntry[]> {
  const { d, m } = iclShapes(config);
  const shape = `batch ${config.batch}, N ${config.N}, d ${d}, m ${m}`;
  const trainer = await IclTrainer.create(ctx, { ...config, replicas, evalTest: false, metricsEvery: 0 });
  const models = await peerModels(replicas, (r) => new IclPeer(config, r, iclInitialParams(config, r)));
  // A peer at R = 1 steps its model as often as onelayer steps; at larger R each model once per run.
  const peerSteps = replicas === 1 ? steps : 1;
  return [
    onelayerEntry(peerRowName('onelayer', 'icl', replicas), shape, trainer, replicas, steps),
    ...PEER_BACKENDS.map((b) => peerEntry(peerRowName(peerImplementation(b), 'icl', replicas), shape, b, models.get(b)!, peerSteps)),
  ];
}

async function scansnapEntries(ctx: GpuContext, config: ScanSnapConfig, steps: number): Promise<BenchEntry[]> {
  const { replicas } = config;
  const M = tokenLayout(config).M;
  const shape = `batch ${config.batch}, L ${config.L}, M ${M}`;
  const trainer = await ScanSnapTrainer.create(ctx, config);
  const init = scansnapInitialParams(config, M);
  const slice = (p: Float32Array, r: number) => p.subarray(r * M * M, (r + 1) * M * M);
  const models = await peerModels(replicas, (r) => new ScanSnapPeer(config, r, { Y: slice(init.Y, r), Z: slice(init.Z, r) }));
  return [
    onelayerEntry(peerRowName('onelayer', 'scansnap', replicas), shape, trainer, replicas, steps),
    ...PEER_BACKENDS.map((b) => peerEntry(peerRowName(peerImplementation(b), 'scansnap', replicas), shape, b, models.get(b)!, 1)),
  ];
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  const manyReplicas = quick ? 2 : 16;
  const steps = quick ? 2 : ctx.adapter.isSoftware ? 3 : 20;
  const icl = parseIclConfig(quick ? { dX: 8, dY: 2, N: 4, m: 8, batch: 16, M1: 3, M2: 4 } : {});
  const scansnap = parseScanSnapConfig(
    {
      ...(quick ? { numQuery: 2, batch: 8, L: 16 } : { numQuery: 10, batch: 128, L: 128 }),
      nextPerQuery: 2, init: 'uniform', replicas: manyReplicas, metricsEvery: 0, trackNext: 0,
    },
    ctx.adapter.limits,
  );
  return [
    ...(await iclEntries(ctx, icl, 1, steps)),
    ...(await iclEntries(ctx, icl, manyReplicas, steps)),
    ...(await scansnapEntries(ctx, scansnap, steps)),
  ];
}
