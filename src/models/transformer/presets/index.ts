// The transformer's presets, one file per family of experiments, joined here (one line each).
import type { Preset } from '../../../engine/types';
import type { TransformerRunConfig } from '../config';
import { repeatPresets } from './repeat';
import { textPresets } from './text';
import { iclGpt2Presets } from './icl';

export const transformerPresets: Preset<TransformerRunConfig>[] = [
  ...repeatPresets,
  ...textPresets,
  ...iclGpt2Presets,
];
