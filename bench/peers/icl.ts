// The ICL model of SPEC §1 in TensorFlow.js, the bench's peer of IclTrainer: one model (one replica) written as
// a TF.js user would — tensors for the prompts, tf.variable parameters, the forward in tf ops, gradients from
// tf's autodiff through optimizer.minimize, plain SGD. It trains on the batches onelayer's replica r trains on
// (writeTrainingBatch → densePrompts: the same words bit for bit), so the two do the same work per step.
import { perReplica } from '../../src/config/schema';
import { iclShapes, type IclConfig } from '../../src/models/icl/config';
import { densePrompts, inDomainPatterns, trainingBatch, type Patterns } from '../../src/models/icl/data';
import { ICL_PARAM_NAMES, iclParamShapes, outputWeight, type IclParamName, type IclParams64 } from '../../src/models/icl/shapes';
import { tf } from './tfjs';

export class IclPeer {
  private readonly patterns: Patterns;
  private readonly variables: Record<IclParamName, tf.Variable>;
  /** The fixed output weights a_j = ±1/m, as an m × 1 column. */
  private readonly a: tf.Tensor2D;
  private readonly optimizer: tf.SGDOptimizer;

  /** Replica `replica` of `config` (its seed, patterns, learning rate), starting from `params`. */
  constructor(
    private readonly config: IclConfig,
    private readonly replica: number,
    params: IclParams64,
  ) {
    const shapes = iclParamShapes(iclShapes(config));
    const { m } = iclShapes(config);
    this.patterns = inDomainPatterns(config, replica);
    this.variables = Object.fromEntries(
      ICL_PARAM_NAMES.map((name) => [name, tf.variable(tf.tensor2d(Float32Array.from(params[name]), shapes[name]))]),
    ) as Record<IclParamName, tf.Variable>;
    this.a = tf.tensor2d(Float32Array.from({ length: m }, (_, j) => outputWeight(j, m)), [m, 1]);
    this.optimizer = tf.train.sgd(perReplica(config.eta, replica));
  }

  /** Batch-mean hinge loss of SPEC §1 on prompts P [B][N + 1][d] (query column last) with targets z [B]. */
  private loss(P: tf.Tensor3D, z: tf.Tensor1D): tf.Scalar {
    const { W_Q, W_K, W_V, W_O } = this.variables;
    const [B, columns, d] = P.shape;
    const N = columns - 1;
    const { dA, dV } = iclShapes(this.config);
    // Projections as 2-D products over all columns at once: TF.js 4.22's gradient of a batched matMul whose
    // second operand is broadcast (3-D × 2-D) comes back with the batch dimension unreduced.
    const contexts = tf.reshape(tf.slice(P, [0, 0, 0], [B, N, d]), [B * N, d]);
    const query = tf.reshape(tf.slice(P, [0, N, 0], [B, 1, d]), [B, d]);
    const queryProjection = tf.reshape(tf.matMul(query, W_Q, false, true), [B, 1, dA]);
    const keys = tf.reshape(tf.matMul(contexts, W_K, false, true), [B, N, dA]);
    const values = tf.reshape(tf.matMul(contexts, W_V, false, true), [B, N, dV]);
    const attention = tf.softmax(tf.matMul(queryProjection, keys, false, true)); // [B][1][N]
    const h = tf.reshape(tf.matMul(attention, values), [B, dV]);
    const u = tf.matMul(h, W_O, false, true); // [B][m]
    const F = tf.reshape(tf.matMul(tf.relu(u), this.a), [B]);
    return tf.mean(tf.relu(tf.sub(1, tf.mul(z, F))));
  }

  /** One SGD step on the training batch of `step`; returns that batch's loss (before the update). */
  step(step: number): tf.Scalar {
    const batch = densePrompts(this.config, trainingBatch(this.config, this.replica, step), this.patterns);
    const { d } = iclShapes(this.config);
    const P = tf.tensor3d(Float32Array.from(batch.P), [batch.prompts, batch.N + 1, d]);
    const z = tf.tensor1d(Float32Array.from(batch.z));
    const loss = this.optimizer.minimize(() => this.loss(P, z), true, Object.values(this.variables))!;
    tf.dispose([P, z]);
    return loss;
  }

  async params(): Promise<Record<IclParamName, Float32Array>> {
    const out = {} as Record<IclParamName, Float32Array>;
    for (const name of ICL_PARAM_NAMES) out[name] = (await this.variables[name].data()) as Float32Array;
    return out;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.variables), this.a]);
    this.optimizer.dispose();
  }
}
