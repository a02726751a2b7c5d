// Values crossing the page boundary (puppeteer's page.evaluate) travel as JSON. Typed arrays are sent as
// base64 of their bytes, so floats arrive bit for bit (NaN poison included), and non-finite plain numbers are
// tagged because JSON has no NaN or Infinity.

type Tagged = { $typed: 'f32' | 'f64' | 'u32' | 'i32'; b64: string } | { $number: string };

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(b64: string): ArrayBuffer {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function encode(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : ({ $number: String(value) } satisfies Tagged);
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Uint32Array || value instanceof Int32Array) {
    const kind = value instanceof Float32Array ? 'f32' : value instanceof Float64Array ? 'f64' : value instanceof Uint32Array ? 'u32' : 'i32';
    return { $typed: kind, b64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) } satisfies Tagged;
  }
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.$number === 'string') return Number(v.$number);
    if (typeof v.$typed === 'string' && typeof v.b64 === 'string') {
      const buffer = fromBase64(v.b64);
      switch (v.$typed) {
        case 'f32': return new Float32Array(buffer);
        case 'f64': return new Float64Array(buffer);
        case 'u32': return new Uint32Array(buffer);
        case 'i32': return new Int32Array(buffer);
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return value;
}
