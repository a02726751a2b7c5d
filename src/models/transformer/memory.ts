// Memory of a transformer run, computed from the config before any GPU work: every buffer is checked against the
// adapter's per-buffer limits (maxStorageBufferBindingSize, maxBufferSize), and the attention tiles against its
// workgroup memory; a config that does not fit is bad input naming the limit and what to lower.
import type { ConfigError } from '../../config/schema';
import { attentionTiles } from '../../kernels/attention';
import { dataShapeOf, shapesOf, structureOf, type TransformerRunConfig } from './config';
import { slabLayout } from './slab';

/** Bytes the LM head's logits chunk may take during training (chunked over V beyond it). */
export const HEAD_BUDGET_BYTES = 64 * 2 ** 20;

export interface MemoryItem {
  what: string;
  bytes: number;
  /** The config key that sizes it most directly (what the message tells the user to lower). */
  key: string;
}

/** The run's large buffers (bytes) and their sum; activations are counted per layer. */
export function transformerMemory(c: TransformerRunConfig): { items: MemoryItem[]; totalBytes: number } {
  const layout = slabLayout(structureOf(c), shapesOf(c));
  const { T, V, head } = dataShapeOf(c);
  const R = c.replicas;
  const N = c.batch * T;
  const slab = 4 * R * layout.P;
  const optimizerSlabs = c.optimizer === 'adamw' ? 2 : 1;
  const items: MemoryItem[] = [
    { what: 'a parameter slab (params, gradients and each optimizer state are one)', bytes: slab, key: 'replicas' },
    { what: 'the widest activation (qkv or the FFN hidden layer)', bytes: 4 * R * N * Math.max(3 * c.dModel, c.dFF), key: 'batch' },
    { what: "the LM head's narrowest vocabulary chunk (64 columns)", bytes: head === 'lm' ? 4 * R * N * Math.min(64, V) : 0, key: 'batch' },
    { what: "one layer's attention probabilities of the metrics sample", bytes: 4 * R * c.sampleSize * c.nHeads * T * T, key: 'sampleSize' },
  ];
  // Per layer: about ten dModel-wide and three dFF-wide activations are kept for the backward, plus the softmax statistics.
  const perLayer = 4 * R * N * (10 * c.dModel + 3 * c.dFF) + 8 * R * c.batch * c.nHeads * T;
  const headChunk = head === 'lm' ? Math.min(4 * R * N * V, HEAD_BUDGET_BYTES) : 0;
  const totalBytes = slab * (2 + optimizerSlabs) + c.nLayers * (perLayer + items[3].bytes) + headChunk;
  return { items, totalBytes };
}

export function checkTransformerLimits(c: TransformerRunConfig, limits: Record<string, number>): ConfigError[] {
  const errors: ConfigError[] = [];
  const binding = limits.maxStorageBufferBindingSize ?? 2 ** 27;
  const buffer = limits.maxBufferSize ?? 2 ** 28;
  const cap = Math.min(binding, buffer);
  const limitName = binding <= buffer ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  for (const item of transformerMemory(c).items) {
    if (item.bytes > cap) {
      errors.push({
        key: item.key, value: c[item.key],
        message: `${item.key} = ${JSON.stringify(c[item.key])}: ${item.what} needs ${item.bytes} bytes; this adapter's ${limitName} is ${cap}: lower ${item.key} (or the model's size)`,
      });
    }
  }
  if (limits.maxComputeWorkgroupStorageSize !== undefined && c.dModel % c.nHeads === 0) {
    try {
      attentionTiles({ replicas: 1, batch: 1, T: dataShapeOf(c).T, dModel: c.dModel, nHeads: c.nHeads, causal: c.causal }, {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup ?? 256,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX ?? 256,
        maxComputeWorkgroupSizeY: limits.maxComputeWorkgroupSizeY ?? 256,
      });
    } catch (e) {
      errors.push({ key: 'nHeads', value: c.nHeads, message: `nHeads = ${c.nHeads} (dHead = ${c.dModel / c.nHeads}): ${(e as Error).message}` });
    }
  }
  return errors;
}
