// The ICL network on the GPU (SPEC §1), for R replicas × B prompts, as lists of prebuilt dispatches that read
// top to bottom like the math. Cheap order: keyQuery = W_Kᵀ(W_Q p_q) once per prompt, scores p_i·keyQuery,
// pbar = Σ attn_i p_i, h = W_V pbar, u = W_O h; the backward mirrors it, and every parameter gradient is a GEMM
// over the batch axis (a fixed-order sum, so the same bits every run).
import { tunedGemm, tunedGemmSplitK } from '../../kernels/gemm';
import { tunedIclAttentionForward } from '../../kernels/iclAttentionForward';
import { tunedIclAttentionBackward } from '../../kernels/iclAttentionBackward';
import { iclHingeTrain } from '../../kernels/iclMlpHinge';
import type { GpuContext } from '../../runtime/context';
import type { BufferBinding, Dispatch } from '../../runtime/kernels';
import type { IclParamName, IclShapes } from './shapes';

export type IclParamBuffers = Record<IclParamName, GPUBuffer>;

export interface IclBatchDims {
  replicas: number;
  /** Prompts per replica. */
  prompts: number;
  /** Context columns per prompt. */
  N: number;
  shapes: IclShapes;
}

/** Dense prompt inputs the forward reads (written by iclPromptBuild, or uploaded for lossAndGrads). */
export interface IclPromptInputs {
  contexts: BufferBinding; // [R][B][N][d]
  queries: BufferBinding; // [R][B][d]
  /** Compact prompts, read only for the same-pattern attention mass. */
  columns: BufferBinding;
}

/** Activations of the attention part, shared by training and evaluation. */
export interface IclAttentionActivations {
  queryProjection: GPUBuffer; // W_Q p_q: [R][B][dA]
  keyQuery: GPUBuffer; // W_Kᵀ W_Q p_q: [R][B][d]
  attn: GPUBuffer; // [R][B][N]
  pooled: GPUBuffer; // pbar: [R][B][d]
}

export function acquireAttentionActivations(ctx: GpuContext, dims: IclBatchDims, label: string): IclAttentionActivations {
  const rows = dims.replicas * dims.prompts;
  const { d, dA } = dims.shapes;
  return {
    queryProjection: ctx.pool.acquire(4 * rows * dA, `${label} W_Q p_q`),
    keyQuery: ctx.pool.acquire(4 * rows * d, `${label} keyQuery`),
    attn: ctx.pool.acquire(4 * rows * dims.N, `${label} attn`),
    pooled: ctx.pool.acquire(4 * rows * d, `${label} pbar`),
  };
}

/** Forward up to the pooled column: W_Q p_q, W_Kᵀ(·), scores, softmax, pbar, and the same-pattern mass. */
export async function attentionForward(
  ctx: GpuContext,
  dims: IclBatchDims,
  params: IclParamBuffers,
  input: IclPromptInputs,
  act: IclAttentionActivations,
  samePatternMass: BufferBinding,
): Promise<Dispatch[]> {
  const { replicas: R, prompts: B, N } = dims;
  const { d, dA } = dims.shapes;
  const projectQuery = await tunedGemm(ctx, { batch: R, M: B, N: dA, K: d, transB: true });
  const keyTimesQuery = await tunedGemm(ctx, { batch: R, M: B, N: d, K: dA });
  const attend = await tunedIclAttentionForward(ctx, { replicas: R, prompts: B, N, d });
  return [
    projectQuery({ A: input.queries, B: params.W_Q, C: act.queryProjection }, 'W_Q p_q'),
    keyTimesQuery({ A: act.queryProjection, B: params.W_K, C: act.keyQuery }, 'W_K^T W_Q p_q'),
    attend({ contexts: input.contexts, keyQuery: act.keyQuery, columns: input.columns, attn: act.attn, pooled: act.pooled, samePatternMass }),
  ];
}

export interface IclTrainActivations extends IclAttentionActivations {
  samePatternMass: GPUBuffer; // [R][B]
  hidden: GPUBuffer; // h = W_V pbar: [R][B][dV]
  mlpInput: GPUBuffer; // u = W_O h: [R][B][m]
  mlpInputGrad: GPUBuffer;
  hiddenGrad: GPUBuffer;
  pooledGrad: GPUBuffer;
  keyQueryGrad: GPUBuffer;
  queryProjectionGrad: GPUBuffer;
  /** [R][2]: mean hinge loss and sign error of the batch. */
  trainStats: GPUBuffer;
}

export function acquireTrainActivations(ctx: GpuContext, dims: IclBatchDims): IclTrainActivations {
  const rows = dims.replicas * dims.prompts;
  const { d, dA, dV, m } = dims.shapes;
  const acquire = (floats: number, label: string) => ctx.pool.acquire(4 * floats, `icl ${label}`);
  return {
    ...acquireAttentionActivations(ctx, dims, 'icl'),
    samePatternMass: acquire(rows, 'same-pattern mass'),
    hidden: acquire(rows * dV, 'h'),
    mlpInput: acquire(rows * m, 'u'),
    mlpInputGrad: acquire(rows * m, 'du'),
    hiddenGrad: acquire(rows * dV, 'dh'),
    pooledGrad: acquire(rows * d, 'dpbar'),
    keyQueryGrad: acquire(rows * d, 'dkeyQuery'),
    queryProjectionGrad: acquire(rows * dA, 'd(W_Q p_q)'),
    trainStats: acquire(2 * dims.replicas, 'train stats'),
  };
}

/**
 * Forward, hinge loss and backward of the batch-mean loss: fills `grads` and the activations' trainStats.
 * Scratch buffers the plan needs (split-K partials) are appended to `owned`; the caller releases them with its
 * other buffers.
 */
export async function forwardBackward(
  ctx: GpuContext,
  dims: IclBatchDims,
  params: IclParamBuffers,
  grads: IclParamBuffers,
  input: IclPromptInputs & { labels: BufferBinding },
  act: IclTrainActivations,
  owned: GPUBuffer[],
): Promise<Dispatch[]> {
  const { replicas: R, prompts: B, N } = dims;
  const { d, dA, dV, m } = dims.shapes;
  const k = ctx.kernels;
  const valueProject = await tunedGemm(ctx, { batch: R, M: B, N: dV, K: d, transB: true });
  const outputProject = await tunedGemm(ctx, { batch: R, M: B, N: m, K: dV, transB: true });
  const hinge = await iclHingeTrain(k, { replicas: R, prompts: B, m });
  // Weight gradients are small M x N products that reduce over the whole batch (K = B prompts): with few
  // replicas that is a handful of output tiles walking a long K, so on a GPU split-K spreads K over workgroups
  // (H100, bench 'gemm icl dW_Q', K = 256: 0.033 ms plain, 0.009 ms in 16 splits); with many replicas the tiles
  // alone fill it and splitKCount picks 1 split. CPU adapters take the whole product (gemmSplitKVariants).
  const gradOutput = await tunedGemmSplitK(ctx, { batch: R, M: m, N: dV, K: B, transA: true });
  const backOutput = await tunedGemm(ctx, { batch: R, M: B, N: dV, K: m });
  const gradValue = await tunedGemmSplitK(ctx, { batch: R, M: dV, N: d, K: B, transA: true });
  const backValue = await tunedGemm(ctx, { batch: R, M: B, N: d, K: dV });
  const attendBackward = await tunedIclAttentionBackward(ctx, { replicas: R, prompts: B, N, d });
  const gradKey = await tunedGemmSplitK(ctx, { batch: R, M: dA, N: d, K: B, transA: true });
  const backKey = await tunedGemm(ctx, { batch: R, M: B, N: dA, K: d, transB: true });
  const gradQuery = await tunedGemmSplitK(ctx, { batch: R, M: dA, N: d, K: B, transA: true });
  for (const product of [gradOutput, gradValue, gradKey, gradQuery]) if (product.scratch) owned.push(product.scratch);
  return [
    ...(await attentionForward(ctx, dims, params, input, act, act.samePatternMass)),
    valueProject({ A: act.pooled, B: params.W_V, C: act.hidden }, 'h = W_V pbar'),
    outputProject({ A: act.hidden, B: params.W_O, C: act.mlpInput }, 'u = W_O h'),
    hinge({ mlpInput: act.mlpInput, labels: input.labels, mlpInputGrad: act.mlpInputGrad, trainStats: act.trainStats }),
    ...gradOutput({ A: act.mlpInputGrad, B: act.hidden, C: grads.W_O }, 'dW_O = du^T h'),
    backOutput({ A: act.mlpInputGrad, B: params.W_O, C: act.hiddenGrad }, 'dh = du W_O'),
    ...gradValue({ A: act.hiddenGrad, B: act.pooled, C: grads.W_V }, 'dW_V = dh^T pbar'),
    backValue({ A: act.hiddenGrad, B: params.W_V, C: act.pooledGrad }, 'dpbar = dh W_V'),
    attendBackward({ contexts: input.contexts, attn: act.attn, pooledGrad: act.pooledGrad, keyQueryGrad: act.keyQueryGrad }),
    ...gradKey({ A: act.queryProjection, B: act.keyQueryGrad, C: grads.W_K }, 'dW_K = (W_Q p_q)^T dkeyQuery'),
    backKey({ A: act.keyQueryGrad, B: params.W_K, C: act.queryProjectionGrad }, 'd(W_Q p_q) = dkeyQuery W_K^T'),
    ...gradQuery({ A: act.queryProjectionGrad, B: input.queries, C: grads.W_Q }, 'dW_Q = d(W_Q p_q)^T p_q'),
  ];
}
