/**
 * A small seeded mutator for the loader fuzz test: JSON values (numbers out of range, wrong types, deleted
 * and duplicated keys, hostile strings), raw bytes (flips, truncation, insertion) and template fragments.
 * Everything is a pure function of the Rng, so (seed, case index) reproduces a case exactly.
 */
import type { Rng } from '../../../tools/modelgen/prng';

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));

const STRINGS = ['', '..', '../../../etc/passwd', '/etc/passwd', 'C:\\x', 'a\u0000b', '\u202e', 'x'.repeat(300), 'model.safetensors', '{{', '%s%n', 'NaN'];
const NUMBERS = [0, -1, 1, 2, 3, -0.5, 0.5, 1e-30, 1e30, 1e9, 2 ** 31, 2 ** 53, -(2 ** 53), 4e6, 7.5, 65536, 0.1];

/** A value of a random kind, biased to the edge cases loaders get wrong. */
export function hostileValue(rng: Rng, depth = 0): unknown {
  const r = rng.next();
  if (r < 0.35) return pick(rng, NUMBERS);
  if (r < 0.5) return pick(rng, STRINGS);
  if (r < 0.6) return pick(rng, [null, true, false]);
  if (r < 0.75 && depth < 2) return Array.from({ length: int(rng, 0, 3) }, () => hostileValue(rng, depth + 1));
  if (depth < 2) return Object.fromEntries(Array.from({ length: int(rng, 0, 3) }, (_, i) => [`k${i}`, hostileValue(rng, depth + 1)]));
  return int(rng, -5, 5);
}

/** Mutates a parsed JSON value in place-free style: 1-3 edits at random paths. */
export function mutateJson(rng: Rng, v: unknown, edits = int(rng, 1, 3)): unknown {
  let out = structuredClone(v);
  for (let i = 0; i < edits; i++) out = editAt(rng, out, 0);
  return out;
}

function editAt(rng: Rng, v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object' || depth > 6 || rng.next() < 0.15) return hostileValue(rng);
  if (Array.isArray(v)) {
    if (v.length === 0) return [hostileValue(rng)];
    const i = int(rng, 0, v.length - 1);
    const copy = [...v];
    const op = rng.next();
    if (op < 0.2) copy.splice(i, 1);
    else if (op < 0.3) copy.push(structuredClone(copy[i]));
    else copy[i] = editAt(rng, copy[i], depth + 1);
    return copy;
  }
  const obj = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(obj);
  if (keys.length === 0) return { x: hostileValue(rng) };
  const k = pick(rng, keys);
  const op = rng.next();
  if (op < 0.2) delete obj[k];
  else if (op < 0.27) obj[`${k}_${int(rng, 0, 9)}`] = structuredClone(obj[k]);
  else obj[k] = editAt(rng, obj[k], depth + 1);
  return obj;
}

/** Byte-level damage: flips, truncation, insertion or a patched 8-byte length. */
export function mutateBytes(rng: Rng, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const op = rng.next();
  if (op < 0.3) {
    for (let i = int(rng, 1, 8); i > 0; i--) out[int(rng, 0, out.length - 1)] ^= 1 << int(rng, 0, 7);
    return out;
  }
  if (op < 0.5) return out.subarray(0, int(rng, 0, out.length - 1));
  if (op < 0.65) {
    const at = int(rng, 0, out.length);
    const junk = Uint8Array.from({ length: int(rng, 1, 64) }, () => int(rng, 0, 255));
    const joined = new Uint8Array(out.length + junk.length);
    joined.set(out.subarray(0, at));
    joined.set(junk, at);
    joined.set(out.subarray(at), at + junk.length);
    return joined;
  }
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(pick(rng, [0, 1, 7, out.length, out.length - 8, out.length + 1, 2 ** 40, 2 ** 53])), true);
  return out;
}

const FRAGMENTS = [
  '{{ bos_token }}',
  '{% for m in messages %}',
  '{% endfor %}',
  '{{ m.content }}',
  '{{ messages[0].content }}',
  '{% if add_generation_prompt %}<|assistant|>{% endif %}',
  '{% for i in range(100000) %}x{% endfor %}',
  '{% for i in range(10**9) %}{% endfor %}',
  '{{ raise_exception("no") }}',
  '{{ m.content | trim }}',
  '{{ (messages[0].content * 1000) }}',
  '{% set x = [] %}',
  '{{ x.y.z }}',
  '{%',
  '}}',
  '{{ 1/0 }}',
  '<|user|>',
  '{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}',
  'plain text',
];

/** A template of 1-6 fragments: mostly broken, sometimes expensive, occasionally valid. */
export function randomTemplate(rng: Rng): string {
  return Array.from({ length: int(rng, 1, 6) }, () => pick(rng, FRAGMENTS)).join('');
}
