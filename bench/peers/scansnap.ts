// The Scan & Snap model of SPEC §2 in TensorFlow.js, the bench's peer of ScanSnapTrainer: one model (one
// replica) as a TF.js user would write it — one-hot tokens, the attention row of Z picked by the query,
// tf.losses.softmaxCrossEntropy, gradients from tf.variableGrads, and tf.train.momentum (PyTorch's semantics:
// buf = mu buf + g, p -= lr buf, the first buf = g) with its own learning rate for Y and for Z. It trains on the
// sequences onelayer's replica r trains on (SequenceSampler: the same ids).
import { perReplica } from '../../src/config/schema';
import { etaYOf, type ScanSnapConfig } from '../../src/models/scansnap/config';
import { SequenceSampler, sequenceStride } from '../../src/models/scansnap/data';
import { tf } from './tfjs';

export class ScanSnapPeer {
  private readonly sampler: SequenceSampler;
  private readonly M: number;
  private readonly ids: Uint32Array;
  private readonly Y: tf.Variable;
  private readonly Z: tf.Variable;
  private readonly optimizerY: tf.MomentumOptimizer;
  private readonly optimizerZ: tf.MomentumOptimizer;

  /** Replica `replica` of `config` (its seed, learning rates, momentum), starting from Y and Z (M × M, row-major). */
  constructor(
    private readonly config: ScanSnapConfig,
    private readonly replica: number,
    params: { Y: ArrayLike<number>; Z: ArrayLike<number> },
  ) {
    this.sampler = new SequenceSampler(config);
    this.M = this.sampler.layout.M;
    this.ids = new Uint32Array(config.batch * sequenceStride(config.L));
    this.Y = tf.variable(tf.tensor2d(Float32Array.from(params.Y), [this.M, this.M]));
    this.Z = tf.variable(tf.tensor2d(Float32Array.from(params.Z), [this.M, this.M]));
    const momentum = perReplica(config.momentum, replica);
    this.optimizerY = tf.train.momentum(etaYOf(config, replica), momentum);
    this.optimizerZ = tf.train.momentum(perReplica(config.etaZ, replica), momentum);
  }

  /** Batch-mean cross-entropy of SPEC §2 on one-hot contexts [B][L − 1][M], queries [B][M] and next tokens [B][M]. */
  private loss(contexts: tf.Tensor3D, queries: tf.Tensor2D, next: tf.Tensor2D): tf.Scalar {
    // The query's row of Z as a product with its one-hot row rather than tf.gather: gather's gradient needs
    // UnsortedSegmentSum, which TF.js 4.22's WASM backend lacks.
    const queryRows = tf.matMul(queries, this.Z); // [B][M]
    const scores = tf.squeeze(tf.matMul(contexts, tf.expandDims(queryRows, 2)), [2]); // s_t = Z[query][x_t]
    const b = tf.softmax(scores); // [B][L − 1]
    const v = tf.squeeze(tf.matMul(tf.expandDims(b, 1), contexts), [1]); // Σ_t b_t e_{x_t}: [B][M]
    const vn = tf.div(v, tf.norm(v, 'euclidean', 1, true));
    return tf.losses.softmaxCrossEntropy(next, tf.matMul(vn, this.Y)) as tf.Scalar; // logit_l = Σ_k Y[k][l] vn_k
  }

  /** One step on the sequences of `step`; returns their loss (before the update). */
  step(step: number): tf.Scalar {
    const { batch, L, seed } = this.config;
    this.sampler.fill(this.ids, 0, batch, seed, this.replica, step);
    const stride = sequenceStride(L);
    const context = new Int32Array(batch * (L - 1));
    const queries = new Int32Array(batch);
    const next = new Int32Array(batch);
    for (let q = 0; q < batch; q++) {
      context.set(this.ids.subarray(q * stride, q * stride + L - 1), q * (L - 1));
      queries[q] = this.ids[q * stride + L - 1];
      next[q] = this.ids[q * stride + L];
    }
    return tf.tidy(() => {
      // int32 one-hots cast to float32: TF.js 4.22's WASM OneHot writes integer bits into float32 outputs.
      const oneHot = (ids: tf.Tensor) => tf.cast(tf.oneHot(ids, this.M), 'float32');
      const contexts = oneHot(tf.tensor2d(context, [batch, L - 1], 'int32')) as tf.Tensor3D;
      const queryRows = oneHot(tf.tensor1d(queries, 'int32')) as tf.Tensor2D;
      const targets = oneHot(tf.tensor1d(next, 'int32')) as tf.Tensor2D;
      const { value, grads } = tf.variableGrads(() => this.loss(contexts, queryRows, targets), [this.Y, this.Z]);
      this.optimizerY.applyGradients([{ name: this.Y.name, tensor: grads[this.Y.name] }]);
      this.optimizerZ.applyGradients([{ name: this.Z.name, tensor: grads[this.Z.name] }]);
      return value;
    });
  }

  async params(): Promise<{ Y: Float32Array; Z: Float32Array }> {
    return { Y: (await this.Y.data()) as Float32Array, Z: (await this.Z.data()) as Float32Array };
  }

  dispose(): void {
    tf.dispose([this.Y, this.Z]);
    this.optimizerY.dispose();
    this.optimizerZ.dispose();
  }
}
