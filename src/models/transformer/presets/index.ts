// The transformer's presets, one file per family of experiments, joined here (one line each).
import type { Preset } from '../../../engine/types';
import type { TransformerRunConfig } from '../config';
import { repeatPresets } from './repeat';

export const transformerPresets: Preset<TransformerRunConfig>[] = [
  ...repeatPresets,
];
