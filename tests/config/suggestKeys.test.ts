// The hint an unknown config key gets: another tool's name for a key first, then typos (fewer edits for short keys).
import { describe, expect, it } from 'vitest';
import { suggestKeys, validateConfig, type Schema } from '../../src/config/schema';
import { iclSchema } from '../../src/models/icl/config';
import { scansnapSchema } from '../../src/models/scansnap/config';
import { transformerSchema } from '../../src/models/transformer/config';

describe('suggestKeys', () => {
  it("answers other tools' names for a learning rate with each model's own key", () => {
    expect(suggestKeys(iclSchema, 'lr')).toBe(" (did you mean 'eta'?)");
    expect(suggestKeys(iclSchema, 'learning_rate')).toBe(" (did you mean 'eta'?)");
    expect(suggestKeys(scansnapSchema, 'lr')).toBe(" (did you mean 'etaY' or 'etaZ'?)");
    expect(suggestKeys(transformerSchema, 'learningRate')).toBe(" (did you mean 'lr'?)");
    expect(suggestKeys(transformerSchema, 'LR')).toBe(" (did you mean 'lr'?)");
  });

  it('allows one edit for keys of up to three letters and two for longer ones', () => {
    const schema: Schema = Object.fromEntries(['N', 'm', 'dX', 'batch', 'seed'].map((k) => [k, { type: 'int', default: 1, description: k }]));
    expect(suggestKeys(schema, 'lr')).toBe(''); // two edits from N, m and dX: no suggestion
    expect(suggestKeys(schema, 'dx')).toBe(" (did you mean 'dX'?)");
    expect(suggestKeys(schema, 'bacth')).toBe(" (did you mean 'batch'?)");
    expect(suggestKeys(schema, 'seeed')).toBe(" (did you mean 'seed'?)");
    expect(suggestKeys(schema, 'momentum')).toBe('');
  });

  it('is what validateConfig says of an unknown key', () => {
    const { errors } = validateConfig(iclSchema, { lr: 0.1 });
    expect(errors.map((e) => e.message)).toEqual([`unknown key 'lr' (did you mean 'eta'?); allowed keys: ${Object.keys(iclSchema).join(', ')}`]);
  });
});
