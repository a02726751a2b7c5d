// Every model and preset by name, for the CLI (in Node), the harness page and the app alike.
import type { ModelDefinition, ModelName, Preset } from './types';
import { iclModel } from '../models/icl/index';
import { iclPresets } from './presets/icl';
import { scansnapModel } from '../models/scansnap/index';
import { scansnapPresets } from './presets/scansnap';

type AnyModel = ModelDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type AnyPreset = Preset<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const models: Record<ModelName, AnyModel> = { icl: iclModel, scansnap: scansnapModel };

function asList(presets: AnyPreset[] | Record<string, AnyPreset>): AnyPreset[] {
  return Array.isArray(presets) ? presets : Object.values(presets);
}

export const presets: AnyPreset[] = [...asList(iclPresets), ...asList(scansnapPresets)];

/** What `onelayer train` with no preset and the README's main job run: the first ICL preset. */
export const defaultPreset: AnyPreset = asList(iclPresets)[0];

export function findModel(name: string): AnyModel | undefined {
  return Object.prototype.hasOwnProperty.call(models, name) ? models[name as ModelName] : undefined;
}

export function findPreset(name: string): AnyPreset | undefined {
  return presets.find((p) => p.name === name);
}
