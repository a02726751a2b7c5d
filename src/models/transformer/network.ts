// The transformer's forward and backward as dispatch lists (SPEC §4, layouts of docs/transformer.md), built
// once per batch size over buffers allocated here. It reads like the math:
//   x0 = embed[tok]·scale (or u W_inᵀ + b_in) + PE, dropped            (site 0)
//   per layer, post-LN:  s1 = x + drop(MHA(x)); x1 = LN1(s1); s2 = x1 + drop(FFN(x1)); x' = LN2(s2)
//              pre-LN:   x1 = x + drop(MHA(LN1(x))); x' = x1 + drop(FFN(LN2(x1)))      (then LNf)
//   MHA(h) = attention(h W_qkvᵀ + b_qkv) W_oᵀ + b_o;  FFN(h) = drop(act(h W_1ᵀ + b_1)) W_2ᵀ + b_2
//   head: the chunked vocabulary cross-entropy (LM) or the hinge readout at the last position (ICL)
// and the backward walks it in reverse: the residual stream's gradient lives in one buffer G, which each
// layer hands back to the one below; weight gradients go straight into the gradient slab (split-K gemms),
// bias gradients through fixed-order column sums. No kernel uses atomics.
import type { GpuContext } from '../../runtime/context';
import type { BufferBinding, Dispatch } from '../../runtime/kernels';
import { tunedGemm, tunedGemmActivationGrad, tunedGemmBias, tunedGemmSplitK } from '../../kernels/gemm';
import { tunedReduceRows } from '../../kernels/reduceRows';
import { layerNormPartialsBytes, tunedLayerNorm } from '../../kernels/layerNorm';
import { tunedDropout, type dropout } from '../../kernels/dropout';
import { tunedAttention, tunedAttentionProbabilities } from '../../kernels/attention';
import { tokenEmbeddingScratchBytes, tunedTokenEmbedding } from '../../kernels/tokenEmbedding';
import { sinusoidalTable, tunedPositionalEncoding } from '../../kernels/positionalEncoding';
import { vocabCrossEntropyHead } from '../../kernels/vocabCrossEntropy';
import { hingeReadout } from '../../kernels/hingeReadout';
import { DROPOUT_SITE, type TransformerConfig, type TransformerShapes } from './shapes';
import { slabWindow, type SlabLayout } from './slab';

export interface NetworkSpec {
  structure: TransformerConfig;
  shapes: TransformerShapes;
  layout: SlabLayout;
  replicas: number;
  /** Sequences per replica this network is built for. */
  batch: number;
  /** Positions per sequence. */
  T: number;
  /** Dropout probability of the training forward (0: none; evaluation never drops). */
  dropout: number;
  /** Build the backward (training) or only the forward and the head's loss. */
  backward: boolean;
  /** Bytes the LM head's logits chunk may take. */
  headBudgetBytes: number;
}

/** What the network reads and writes beyond its own activations. */
export interface NetworkIO {
  params: GPUBuffer;
  /** Gradient slab [R][P] (training only). */
  grads?: GPUBuffer;
  /** u32 [R] seed of each replica and the u32 [1] step counter: the dropout masks' inputs. */
  seeds: GPUBuffer;
  step: GPUBuffer;
  /** LM: u32 [R][B][T + 1]. */
  tokens?: GPUBuffer;
  /** ICL: [R][B][T][dIn] inputs and [R][B] labels ±1 (0: a padding prompt the evaluation skips). */
  inputs?: GPUBuffer;
  z?: GPUBuffer;
}

export interface Network {
  /** x0 .. the features the head reads, dropout on (what a training step runs first). */
  forwardTrain: Dispatch[];
  /** The same without dropout, then (LM) the loss; ICL evaluation adds `iclEvaluate`. */
  forwardEval: Dispatch[];
  /** Training only: the head's loss and gradients, then the backward into the gradient slab. */
  backward: Dispatch[];
  /** The head's per-replica batch-mean loss [R]: written by the training head (backward) and, LM, by forwardEval. */
  loss: GPUBuffer;
  /** LM: per-position loss [R][B][T]; ICL: F per prompt [R][B]. */
  rowLoss: GPUBuffer;
  /** ICL evaluation: accumulate [errors, hinge sum] per replica into `evalStats` (after forwardEval). */
  iclEvaluate?: (evalStats: GPUBuffer, accumulate: boolean) => Dispatch;
  /** The qkv activation of every layer (after a forward): the probabilities path reads it. */
  qkv: GPUBuffer[];
  release(): void;
}

/**
 * Builds the network's dispatch lists. Gemm pipelines are shared through the kernel library's cache; split-K
 * scratch, activations and head buffers are owned here and returned to the pool by `release()`.
 */
export async function buildNetwork(ctx: GpuContext, spec: NetworkSpec, io: NetworkIO): Promise<Network> {
  const { structure: cfg, shapes, layout, replicas: R, batch: B, T } = spec;
  const d = shapes.dModel;
  const dFF = shapes.dFF;
  const L = shapes.nLayers;
  const N = B * T;
  const P = layout.P;
  const p = spec.dropout;
  const training = spec.backward;
  const lm = cfg.head === 'lm';
  const owned: GPUBuffer[] = [];
  const releasers: (() => void)[] = [];
  const acquire = (floats: number, label: string) => {
    const b = ctx.pool.acquire(4 * Math.max(1, floats), `transformer ${label}`);
    owned.push(b);
    return b;
  };
  const act = (width: number, label: string) => acquire(R * N * width, label);
  const param = (name: string): BufferBinding => slabWindow(layout, io.params, name, R);
  const grad = (name: string): BufferBinding => slabWindow(layout, io.grads!, name, R);
  const k = ctx.kernels;
  const rng = { seeds: io.seeds, step: io.step };

  // --- building blocks --------------------------------------------------------------------------------------
  const splitK = new Map<string, Awaited<ReturnType<typeof tunedGemmSplitK>>>();
  /** y = x Wᵀ + b (act), weights out × in in the slab. */
  const linear = async (inDim: number, outDim: number, activation: 'none' | 'relu' | 'gelu' = 'none') =>
    tunedGemmBias(ctx, { batch: R, M: N, N: outDim, K: inDim, transB: true, strideA: N * inDim, strideB: P, strideC: N * outDim, strideBias: P, activation });
  /** dW = dyᵀ x into the gradient slab (long K = B·T: split-K, one scratch per shape). */
  const weightGrad = async (inDim: number, outDim: number) => {
    const key = `${inDim}x${outDim}`;
    let op = splitK.get(key);
    if (!op) {
      op = await tunedGemmSplitK(ctx, { batch: R, M: outDim, N: inDim, K: N, transA: true, strideA: N * outDim, strideB: N * inDim, strideC: P });
      splitK.set(key, op);
      releasers.push(op.release);
    }
    return op;
  };
  /** dx (+)= dy W. */
  const inputGrad = (inDim: number, outDim: number, beta: 0 | 1) =>
    tunedGemm(ctx, { batch: R, M: N, N: inDim, K: outDim, strideA: N * outDim, strideB: P, strideC: N * inDim, beta });
  const biasGrad = (outDim: number) => tunedReduceRows(ctx, { rows: R, batch: N, cols: outDim, outStride: P });
  // Without dropout every layer and site shares one pipeline (the mask is never drawn).
  const drop = (size: number, layer: number, site: number) => tunedDropout(ctx, { replicas: R, size, p, layer: p > 0 ? layer : 0, site: p > 0 ? site : 0 });
  const noDrop = (size: number) => tunedDropout(ctx, { replicas: R, size, p: 0, layer: 0, site: 0 });
  const norm = (accumulate = false) => tunedLayerNorm(ctx, { replicas: R, rows: N, dModel: d, gStride: P, bStride: P, accumulate });
  const lnPartials = acquire(layerNormPartialsBytes({ replicas: R, rows: N, dModel: d }) / 4, 'layerNorm partials');

  // --- inputs -------------------------------------------------------------------------------------------------
  const x0 = act(d, 'x0');
  const inputsForward: Dispatch[] = [];
  const embedding = lm
    ? await tunedTokenEmbedding(ctx, { replicas: R, batch: B, T, dModel: d, vocab: shapes.V, scaleEmbed: cfg.scaleEmbed, embedStride: P, accumulate: cfg.tie })
    : null;
  const inputProjection = lm ? null : await linear(shapes.dIn, d);
  if (lm) inputsForward.push(embedding!.forward({ tokens: io.tokens!, embed: param('embed'), x: x0 }));
  else inputsForward.push(inputProjection!({ A: io.inputs!, B: param('W_in'), C: x0, bias: param('b_in') }, 'input projection'));
  const learnedPositions = cfg.posEncoding === 'learned';
  const positions = cfg.posEncoding === 'none' ? null : await tunedPositionalEncoding(ctx, { replicas: R, batch: B, T, dModel: d, peStride: learnedPositions ? P : 0 });
  if (positions) {
    let pe: BufferBinding;
    if (learnedPositions) pe = param('pos');
    else {
      const table = ctx.pool.upload(sinusoidalTable(T, d), 'transformer sinusoidal positions');
      owned.push(table);
      pe = table;
    }
    inputsForward.push(positions.add({ x: x0, pe }, 'positions'));
  }

  // --- layers -------------------------------------------------------------------------------------------------
  interface LayerBuffers {
    input: GPUBuffer; h1?: GPUBuffer; qkv: GPUBuffer; o: GPUBuffer; lse: GPUBuffer; a: GPUBuffer; s1?: GPUBuffer;
    x1: GPUBuffer; h2?: GPUBuffer; mean1: GPUBuffer; rstd1: GPUBuffer; pre: GPUBuffer; hidden: GPUBuffer; dropped: GPUBuffer;
    f: GPUBuffer; s2?: GPUBuffer; mean2: GPUBuffer; rstd2: GPUBuffer; output: GPUBuffer;
  }
  const layers: LayerBuffers[] = [];
  const layerForwardTrain: Dispatch[][] = [];
  const layerForwardEval: Dispatch[][] = [];
  const qkvProject = await linear(d, 3 * d);
  const outProject = await linear(d, d);
  const ffnIn = await linear(d, dFF, cfg.activation);
  const ffnOut = await linear(dFF, d);
  const [ln, lnAccumulate] = await Promise.all([norm(), norm(true)]);
  const attentionShape = { replicas: R, batch: B, T, dModel: d, nHeads: cfg.nHeads, causal: cfg.causal };
  let input = x0;
  for (let l = 0; l < L; l++) {
    const name = (t: string) => `layers.${l}.${t}`;
    const post = cfg.norm === 'post';
    const b: LayerBuffers = {
      input,
      ...(post ? {} : { h1: act(d, `l${l} h1`), h2: act(d, `l${l} h2`) }),
      qkv: act(3 * d, `l${l} qkv`), o: act(d, `l${l} o`), lse: acquire(R * B * cfg.nHeads * T, `l${l} lse`), a: act(d, `l${l} a`),
      ...(post ? { s1: act(d, `l${l} s1`), s2: act(d, `l${l} s2`) } : {}),
      x1: act(d, `l${l} x1`), mean1: acquire(R * N, `l${l} mean1`), rstd1: acquire(R * N, `l${l} rstd1`),
      pre: act(dFF, `l${l} pre`), hidden: act(dFF, `l${l} hidden`), dropped: p > 0 ? act(dFF, `l${l} hidden dropped`) : (null as never),
      f: act(d, `l${l} f`), mean2: acquire(R * N, `l${l} mean2`), rstd2: acquire(R * N, `l${l} rstd2`), output: act(d, `l${l} out`),
    };
    if (p === 0) b.dropped = b.hidden;
    layers.push(b);
    const forward = async (rate: number): Promise<Dispatch[]> => {
      const dropping = rate > 0;
      const [attn, resid2, hid, resid4] = await Promise.all([
        tunedAttention(ctx, { ...attentionShape, dropout: rate, layer: l }),
        dropping ? drop(N * d, l, DROPOUT_SITE.attentionOut) : noDrop(N * d),
        drop(N * dFF, l, DROPOUT_SITE.ffnHidden),
        dropping ? drop(N * d, l, DROPOUT_SITE.ffnOut) : noDrop(N * d),
      ]);
      const list: Dispatch[] = [];
      const attnIn = post ? b.input : b.h1!;
      if (!post) list.push(ln.forward({ x: b.input, g: param(name('ln1.g')), b: param(name('ln1.b')), y: b.h1!, mean: b.mean1, rstd: b.rstd1 }, `l${l} ln1`));
      list.push(
        qkvProject({ A: attnIn, B: param(name('W_qkv')), C: b.qkv, bias: param(name('b_qkv')) }, `l${l} qkv`),
        attn.forward({ qkv: b.qkv, o: b.o, lse: b.lse, ...(dropping ? rng : {}) }, `l${l} attention`),
        outProject({ A: b.o, B: param(name('W_o')), C: b.a, bias: param(name('b_o')) }, `l${l} out projection`),
        resid2.applyResidual({ x: b.a, residual: b.input, y: post ? b.s1! : b.x1, ...rng }, `l${l} + attention`),
      );
      if (post) list.push(ln.forward({ x: b.s1!, g: param(name('ln1.g')), b: param(name('ln1.b')), y: b.x1, mean: b.mean1, rstd: b.rstd1 }, `l${l} ln1`));
      else list.push(ln.forward({ x: b.x1, g: param(name('ln2.g')), b: param(name('ln2.b')), y: b.h2!, mean: b.mean2, rstd: b.rstd2 }, `l${l} ln2`));
      const ffnInput = post ? b.x1 : b.h2!;
      list.push(ffnIn({ A: ffnInput, B: param(name('W_1')), C: b.hidden, bias: param(name('b_1')), pre: b.pre }, `l${l} ffn in`));
      if (dropping) list.push(hid.apply({ x: b.hidden, y: b.dropped, ...rng }, `l${l} ffn hidden dropout`));
      list.push(
        ffnOut({ A: dropping ? b.dropped : b.hidden, B: param(name('W_2')), C: b.f, bias: param(name('b_2')) }, `l${l} ffn out`),
        resid4.applyResidual({ x: b.f, residual: b.x1, y: post ? b.s2! : b.output, ...rng }, `l${l} + ffn`),
      );
      if (post) list.push(ln.forward({ x: b.s2!, g: param(name('ln2.g')), b: param(name('ln2.b')), y: b.output, mean: b.mean2, rstd: b.rstd2 }, `l${l} ln2`));
      return list;
    };
    layerForwardTrain.push(await forward(p));
    layerForwardEval.push(p > 0 ? await forward(0) : layerForwardTrain[l]);
    input = b.output;
  }

  // --- final norm and head ------------------------------------------------------------------------------------
  let features = input;
  const finalNorm: Dispatch[] = [];
  const lnf = cfg.norm === 'pre' ? { y: act(d, 'lnf'), mean: acquire(R * N, 'lnf mean'), rstd: acquire(R * N, 'lnf rstd'), x: input } : null;
  if (lnf) {
    finalNorm.push(ln.forward({ x: lnf.x, g: param('lnf.g'), b: param('lnf.b'), y: lnf.y, mean: lnf.mean, rstd: lnf.rstd }, 'lnf'));
    features = lnf.y;
  }
  const loss = acquire(R, 'loss');
  const rowLoss = acquire(lm ? R * N : R * B, lm ? 'row loss' : 'F');
  const G = training ? act(d, 'gradient G') : null;
  const H = training ? act(d, 'gradient H') : null;
  const headEval: Dispatch[] = [];
  const headTrain: Dispatch[] = [];
  let iclEvaluate: Network['iclEvaluate'];
  // The head's gradient dL/dfeatures: straight into G, or into H for LNf's backward to carry into G.
  const headGradient = lnf ? H : G;
  if (lm) {
    const decoder = layout.byName[cfg.tie ? 'embed' : 'W_dec'];
    const head = await vocabCrossEntropyHead(ctx, {
      replicas: R, batch: B, T, dModel: d, V: shapes.V, slabSize: P, decoderOffset: decoder.offset,
      biasOffset: layout.byName.b_dec.offset, budgetBytes: spec.headBudgetBytes,
    });
    releasers.push(head.release);
    const common = { x: features, tokens: io.tokens!, params: io.params, rowLoss, loss };
    headEval.push(...head.evaluation(common, 'lm head'));
    if (training) headTrain.push(...head.training({ ...common, grads: io.grads!, dx: headGradient! }, 'lm head'));
  } else {
    const readout = await hingeReadout(k, {
      replicas: R, batch: B, T, dModel: d, slabSize: P, wOutOffset: layout.byName.w_out.offset, bOutOffset: layout.byName.b_out.offset,
    });
    const dF = acquire(R * B, 'dF');
    if (training) headTrain.push(...readout.train({ x: features, z: io.z!, params: io.params, F: rowLoss, dF, dx: headGradient!, grads: io.grads!, loss }, 'icl head'));
    // Evaluation: sign errors and hinge sums per replica (the caller accumulates them over test batches).
    iclEvaluate = (evalStats, accumulate) => readout.evaluate({ x: features, z: io.z!, params: io.params, F: rowLoss, evalStats }, { accumulate, label: 'icl evaluate' });
  }

  // --- backward -----------------------------------------------------------------------------------------------
  const backward: Dispatch[] = [];
  if (training) {
    const g = G!;
    const h = H!;
    if (lnf) {
      // H holds dL/dfeatures; LNf's backward leaves dL/dx_L in G, where the layers take it from.
      backward.push(ln.backward({ x: lnf.x, g: param('lnf.g'), mean: lnf.mean, rstd: lnf.rstd, dy: h, dx: g }, 'lnf backward'));
      backward.push(...ln.backwardParams({ x: lnf.x, mean: lnf.mean, rstd: lnf.rstd, dy: h, partials: lnPartials, dg: grad('lnf.g'), db: grad('lnf.b') }, 'lnf params'));
    }
    const [dW_qkv, dW_o, dW_1, dW_2] = await Promise.all([weightGrad(d, 3 * d), weightGrad(d, d), weightGrad(d, dFF), weightGrad(dFF, d)]);
    const [db_qkv, db_d, db_ff] = await Promise.all([biasGrad(3 * d), biasGrad(d), biasGrad(dFF)]);
    const [dx_qkv, dx_o, dx_1] = await Promise.all([inputGrad(d, 3 * d, cfg.norm === 'post' ? 1 : 0), inputGrad(d, d, 0), inputGrad(d, dFF, cfg.norm === 'post' ? 1 : 0)]);
    const dO = act(d, 'dO');
    const dQKV = act(3 * d, 'dQKV');
    const dZ = act(dFF, 'dZ');
    const dropScratch = p > 0 ? act(d, 'dropout scratch') : null;
    const delta = acquire(R * B * cfg.nHeads * T, 'attention delta');
    for (let l = L - 1; l >= 0; l--) {
      const b = layers[l];
      const name = (t: string) => `layers.${l}.${t}`;
      const post = cfg.norm === 'post';
      const [attn, resid2, resid4, dZop] = await Promise.all([
        tunedAttention(ctx, { ...attentionShape, dropout: p, layer: l }),
        drop(N * d, l, DROPOUT_SITE.attentionOut),
        drop(N * d, l, DROPOUT_SITE.ffnOut),
        tunedGemmActivationGrad(ctx, {
          batch: R, M: N, N: dFF, K: d, strideA: N * d, strideB: P, strideC: N * dFF, activation: cfg.activation,
          ...(p > 0 && { dropout: { p, layer: l, site: DROPOUT_SITE.ffnHidden } }),
        }),
      ]);
      const dropIf = (op: Awaited<ReturnType<typeof dropout>>, from: GPUBuffer, label: string): GPUBuffer => {
        if (p === 0) return from;
        backward.push(op.apply({ x: from, y: dropScratch!, ...rng }, label));
        return dropScratch!;
      };
      const ffnInput = post ? b.x1 : b.h2!;
      const attnInput = post ? b.input : b.h1!;
      // The FFN block: incoming gradient dL/d(block output) = (post: LN2's backward of G) or (pre: G itself).
      let dBlock: GPUBuffer;
      if (post) {
        backward.push(ln.backward({ x: b.s2!, g: param(name('ln2.g')), mean: b.mean2, rstd: b.rstd2, dy: g, dx: h }, `l${l} ln2 backward`));
        backward.push(...ln.backwardParams({ x: b.s2!, mean: b.mean2, rstd: b.rstd2, dy: g, partials: lnPartials, dg: grad(name('ln2.g')), db: grad(name('ln2.b')) }, `l${l} ln2 params`));
        dBlock = h; // dL/ds2, also the residual's share of dL/dx1
      } else dBlock = g;
      const df = dropIf(resid4, dBlock, `l${l} ffn out dropout backward`);
      backward.push(
        db_d({ x: df, out: grad(name('b_2')) }, `l${l} db_2`),
        ...dW_2({ A: df, B: b.dropped, C: grad(name('W_2')) }, `l${l} dW_2`),
        dZop({ A: df, B: param(name('W_2')), C: dZ, pre: b.pre, ...(p > 0 ? rng : {}) }, `l${l} dZ`),
        db_ff({ x: dZ, out: grad(name('b_1')) }, `l${l} db_1`),
        ...dW_1({ A: dZ, B: ffnInput, C: grad(name('W_1')) }, `l${l} dW_1`),
      );
      if (post) {
        // H = dL/ds2 + dZ W_1 = dL/dx1; then LN1's backward gives dL/ds1 in G.
        backward.push(dx_1({ A: dZ, B: param(name('W_1')), C: h }, `l${l} dx1`));
        backward.push(ln.backward({ x: b.s1!, g: param(name('ln1.g')), mean: b.mean1, rstd: b.rstd1, dy: h, dx: g }, `l${l} ln1 backward`));
        backward.push(...ln.backwardParams({ x: b.s1!, mean: b.mean1, rstd: b.rstd1, dy: h, partials: lnPartials, dg: grad(name('ln1.g')), db: grad(name('ln1.b')) }, `l${l} ln1 params`));
      } else {
        // H = dZ W_1 = dL/dh2; G += LN2ᵀ(H) = dL/dx1.
        backward.push(dx_1({ A: dZ, B: param(name('W_1')), C: h }, `l${l} dh2`));
        backward.push(lnAccumulate.backward({ x: b.x1, g: param(name('ln2.g')), mean: b.mean2, rstd: b.rstd2, dy: h, dx: g }, `l${l} ln2 backward`));
        backward.push(...ln.backwardParams({ x: b.x1, mean: b.mean2, rstd: b.rstd2, dy: h, partials: lnPartials, dg: grad(name('ln2.g')), db: grad(name('ln2.b')) }, `l${l} ln2 params`));
      }
      // The attention block: G = dL/ds1 (post) or dL/dx1 (pre), also the residual's share of dL/dx.
      const da = dropIf(resid2, g, `l${l} attention out dropout backward`);
      backward.push(
        db_d({ x: da, out: grad(name('b_o')) }, `l${l} db_o`),
        ...dW_o({ A: da, B: b.o, C: grad(name('W_o')) }, `l${l} dW_o`),
        dx_o({ A: da, B: param(name('W_o')), C: dO }, `l${l} dO`),
        ...attn.backward({ qkv: b.qkv, o: b.o, lse: b.lse, dO, delta, dQKV, ...(p > 0 ? rng : {}) }, `l${l} attention backward`),
        db_qkv({ x: dQKV, out: grad(name('b_qkv')) }, `l${l} db_qkv`),
        ...dW_qkv({ A: dQKV, B: attnInput, C: grad(name('W_qkv')) }, `l${l} dW_qkv`),
      );
      if (post) backward.push(dx_qkv({ A: dQKV, B: param(name('W_qkv')), C: g }, `l${l} dx`));
      else {
        backward.push(dx_qkv({ A: dQKV, B: param(name('W_qkv')), C: h }, `l${l} dh1`));
        backward.push(lnAccumulate.backward({ x: b.input, g: param(name('ln1.g')), mean: b.mean1, rstd: b.rstd1, dy: h, dx: g }, `l${l} ln1 backward`));
        backward.push(...ln.backwardParams({ x: b.input, mean: b.mean1, rstd: b.rstd1, dy: h, partials: lnPartials, dg: grad(name('ln1.g')), db: grad(name('ln1.b')) }, `l${l} ln1 params`));
      }
    }
    // Inputs: G = dL/dx0 (after the embedding dropout, undone here in place).
    if (p > 0) backward.push((await drop(N * d, 0, DROPOUT_SITE.embedding)).applyInPlace({ x: g, ...rng }, 'embedding dropout backward'));
    if (positions && learnedPositions) backward.push(positions.backward({ dx: g, dpos: grad('pos') }, 'positions backward'));
    if (lm) {
      const scratch = tokenEmbeddingScratchBytes({ replicas: R, batch: B, T, dModel: d, vocab: shapes.V });
      const sortedPairs = acquire(scratch.sortedPairs / 4, 'embedding sort');
      const segmentStarts = acquire(scratch.segmentStarts / 4, 'embedding segments');
      backward.push(...embedding!.backward({ tokens: io.tokens!, dx: g, sortedPairs, segmentStarts, dEmbed: grad('embed') }, 'embedding backward'));
    } else {
      const dW_in = await weightGrad(shapes.dIn, d);
      backward.push(
        (await biasGrad(d))({ x: g, out: grad('b_in') }, 'db_in'),
        ...dW_in({ A: g, B: io.inputs!, C: grad('W_in') }, 'dW_in'),
      );
    }
  }

  const embeddingDrop = p > 0 ? [(await drop(N * d, 0, DROPOUT_SITE.embedding)).applyInPlace({ x: x0, ...rng }, 'embedding dropout')] : [];
  return {
    forwardTrain: [...inputsForward, ...embeddingDrop, ...layerForwardTrain.flat(), ...finalNorm, ...(training ? [] : headEval)],
    forwardEval: [...inputsForward, ...layerForwardEval.flat(), ...finalNorm, ...headEval],
    backward: [...headTrain, ...backward],
    loss,
    rowLoss,
    iclEvaluate,
    qkv: layers.map((b) => b.qkv),
    release() {
      for (const r of releasers) r();
      for (const b of owned) ctx.pool.release(b);
      owned.length = 0;
    },
  };
}

/** Per-layer attention probabilities of the batch this network last ran forward (no dropout), [R][B][H][T][T]. */
export async function probabilitiesDispatches(ctx: GpuContext, spec: NetworkSpec, network: Network, probs: GPUBuffer[]): Promise<Dispatch[]> {
  const op = await tunedAttentionProbabilities(ctx, {
    replicas: spec.replicas, batch: spec.batch, T: spec.T, dModel: spec.shapes.dModel, nHeads: spec.structure.nHeads, causal: spec.structure.causal,
  });
  return network.qkv.map((qkv, l) => op({ qkv, probs: probs[l] }, `l${l} probabilities`));
}
