// Bench rows of one kernel each, cut from a trainer's recorded step: the kernel runs with the model's own shapes,
// buffers and bindings, and, once the trainer has taken a step, on real data (the scansnap kernels' work depends on
// the batch's distinct tokens).
import type { Dispatch } from '../src/runtime/kernels';
import type { BenchEntry } from './types';

/**
 * The shader file a dispatch runs, from its pipeline's label (`shaders/<file>.wgsl:<entry>`, set by
 * src/runtime/kernels.ts): dispatch labels are free text (iclMlpHinge's read 'iclHingeTrain').
 */
function shaderOf(d: Dispatch): string {
  const file = /^shaders\/(\w+)\.wgsl:/.exec(d.pipeline.label)?.[1];
  if (!file) throw new Error(`bench: dispatch '${d.label}' has pipeline label '${d.pipeline.label}'; expected shaders/<file>.wgsl:<entry>`);
  return file;
}

/** The row `name` of the step's dispatches of the kernel that starts the name, e.g. 'iclAttentionForward SPEC defaults R=1'. */
export function stepKernelRow(step: Dispatch[], name: string, shape: string): BenchEntry {
  const kernel = name.split(' ')[0];
  const dispatches = step.filter((d) => shaderOf(d) === kernel);
  if (dispatches.length === 0) throw new Error(`bench: row '${name}': the step has no dispatch of shaders/${kernel}.wgsl`);
  return { name, shape, dispatches };
}
