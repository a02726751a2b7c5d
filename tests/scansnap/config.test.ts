// Scan & Snap config validation: bad values get messages naming the key, the value and what is allowed, before
// any GPU work (checked in Node through the schema, and through createTrainer in the page).
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { ConfigValidationError } from '../../src/config/schema';
import { checkScanSnapConfig, parseScanSnapConfig, scansnapModel } from '../../src/models/scansnap/index';

function message(raw: unknown, limits?: Record<string, number>): string {
  try {
    parseScanSnapConfig(raw, limits);
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigValidationError);
    return (e as Error).message;
  }
}

describe('scansnap config schema', () => {
  it('defaults are valid and give the paper Syn-Small vocabulary (M = 34)', () => {
    const c = parseScanSnapConfig({});
    expect(c.numCommon + 2 * c.distinctPerNext + 2 + 2).toBe(34);
    expect(checkScanSnapConfig(c)).toEqual([]);
  });

  it.each([
    [{ L: 1 }, 'L = 1 is not allowed: expected an integer >= 2'],
    [{ etaZ: 0 }, 'etaZ = 0 is not allowed: expected a finite number > 0'],
    [{ etaY: -1 }, 'etaY = -1 is not allowed: expected a finite number > 0'],
    [{ init: 'normal' }, 'init = "normal" is not allowed: expected one of "zero", "uniform"'],
    [{ replicas: 3, etaY: [1, 2] }, 'etaY has 2 values but replicas = 3: give one value, or one per replica'],
    [{ replicas: 2, momentum: [0.9, 1.5] }, 'momentum[1] = 1.5 is not allowed: expected a finite number >= 0 and <= 1'],
    [{ batch: 2.5 }, 'batch = 2.5 is not allowed: expected an integer >= 1'],
    [{ numQuery: [1, 2] }, '(this key takes one value, not a list)'],
    [{ etaz: 1 }, "unknown key 'etaz' (did you mean"],
    [{ trackNext: 5 }, 'trackNext = 5 is not allowed: there are only K = numQuery · nextPerQuery = 2 next tokens'],
    [{ batchSource: 'host' }, 'batchSource = "host" is not allowed: expected one of "gpu", "cpu"'],
    [{ numQuery: 300, nextPerQuery: 300, trackNext: 0 }, 'numQuery · nextPerQuery = 90000 next tokens; the sequence generator draws n from 16 bits, so at most 65535 are allowed'],
  ])('%j', (raw, expected) => {
    expect(message(raw)).toContain(expected);
  });

  it('adapter limits: too many replicas for the largest buffer binding', () => {
    expect(message({ replicas: 1000, numQuery: 10, nextPerQuery: 2 }, { maxStorageBufferBindingSize: 2 ** 27 })).toContain(
      'replicas = 1000 needs buffers of',
    );
  });

  it('every error is reported at once', () => {
    const m = message({ L: 0, etaZ: -2, init: 'x' });
    expect(m.split('\n').length).toBe(3);
  });
});

describe('scansnap createTrainer rejects bad configs in the page before any GPU work', () => {
  const gpu = useGpu();
  it('etaZ = [1, 0] with replicas = 2', async () => {
    const got = await gpu().call<string>('/tests/probes/scansnap.ts', 'configError', { config: { replicas: 2, etaZ: [1, 0] } });
    expect(got).toContain('etaZ[1] = 0 is not allowed: expected a finite number > 0');
  });
  it('the SPEC §3 JSON path names params that disagree with each other and token ids outside M', () => {
    const bad = { model: 'scansnap' as const, params: { Y: [[0]], Z: [[0, 0], [0, 0]] } };
    expect(() => scansnapModel.lossAndGradsReference(bad, { sequences: [] })).toThrow('params: Z is 2 × 2 but Y is 1 × 1; both are M × M');
    const zeros = Array.from({ length: 34 }, () => new Array<number>(34).fill(0));
    const good = { model: 'scansnap' as const, params: { Y: zeros, Z: zeros } };
    const batch = { sequences: [{ context: [1, 40], query: 30, next: 32 }] };
    expect(() => scansnapModel.lossAndGradsReference(good, batch)).toThrow('sequences[0].context[1] = 40; token ids are integers in 0..33 (Y and Z are 34 × 34)');
  });
});
