// Dawn's WebGPU globals (GPUBufferUsage, GPUMapMode, GPUShaderStage, ...) must exist before any runtime module
// is evaluated: buffers.ts reads GPUBufferUsage when it loads. env-node.ts imports this module first, and ES
// modules evaluate their imports in order.
import { globals } from 'webgpu';

Object.assign(globalThis, globals);
