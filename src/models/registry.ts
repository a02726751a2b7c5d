// Every model, for the CLI (in Node), the harness page and the app alike. A model joins by adding its folder
// under src/models/ and one line to MODELS; its presets come with it.
import type { ModelDefinition, ModelName, Preset } from '../engine/types';
import { iclModel } from './icl/index';
import { scansnapModel } from './scansnap/index';
import { transformerModel } from './transformer/index';

type AnyModel = ModelDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type AnyPreset = Preset<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: AnyModel[] = [
  iclModel,
  scansnapModel,
  transformerModel,
];

export const models: Record<ModelName, AnyModel> = Object.fromEntries(MODELS.map((m) => [m.name, m]));

export const presets: AnyPreset[] = MODELS.flatMap((m) => m.presets);

/** What `onelayer train` with no preset and the README's main job run: the first model's first preset. */
export const defaultPreset: AnyPreset = MODELS[0].presets[0];

export function findModel(name: string): AnyModel | undefined {
  return Object.prototype.hasOwnProperty.call(models, name) ? models[name] : undefined;
}

export function findPreset(name: string): AnyPreset | undefined {
  return presets.find((p) => p.name === name);
}
