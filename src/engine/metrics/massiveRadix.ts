/**
 * The massive-activation summary of a float32 layer in two passes over the bit patterns of |h|
 * (`massive.ts` has the definitions and the plain scan this must equal). A non-negative float32's
 * bits order like its value, so a histogram of the top 16 bits of |h| (pass 1) locates at once the
 * median's bucket, the bucket holding the k-th largest scalar, and the buckets the cut 1000 x median
 * can fall in. Pass 2 then counts the low bits inside the median's bucket (the exact median, as
 * `medianAbsF32`) and collects the few scalars whose order against a threshold or among the top k
 * the histogram cannot settle. Everything else is settled by bucket sums.
 *
 * A 1024 x 768 layer took ~9.5 ms in the five passes of the scan (radix median, counts, top-k
 * heap); these two take ~2 ms. Returns null (the caller scans) for layers with NaN or Inf, and when
 * the unsettled scalars are too many to collect (ties, or most scalars near the cut).
 */
import type { MassiveActivation, MassiveSummary } from '../../shared/result';
import { bitsOfFloat, bucketOf, floatOfBits, valueAt } from './stats';

/** Most unsettled scalars pass 2 collects before the caller falls back to the scan. */
const MAX_CANDIDATES = 1 << 16;
const INF_BUCKET = 0x7f80; // |x| bits >= 0x7f800000: Inf and NaN
const BUCKET_100 = 0x42c8; // 100 = 0x42c80000: the bucket starts at 100 exactly

// Scratch reused across calls (each worker thread has its own module instance).
const hist = new Int32Array(65536); // counts by the top 16 bits of |x|
const lowUpper = new Int32Array(65536); // counts by the low 16 bits in the upper median's bucket
const lowLower = new Int32Array(65536); // ... in the lower median's bucket when it differs

const bucketOfValue = (v: number): number => bitsOfFloat(v) >>> 16;

export function massiveRadix(layer: Float32Array, d: number, topK: number, massiveRelative: number, massiveAbsolute: number): MassiveSummary | null {
  const bits = new Int32Array(layer.buffer, layer.byteOffset, layer.length); // int32 loads stay small integers in V8
  const n = bits.length;
  if (n === 0 || massiveAbsolute !== 100) return null;
  hist.fill(0);
  for (let i = 0; i < n; i++) hist[((bits[i] as number) >>> 16) & 0x7fff]++; // this form keeps the index a small int in V8
  for (let b = INF_BUCKET; b < 0x8000; b++) if (hist[b] !== 0) return null;

  const upper = bucketOf(hist, n >> 1);
  const lower = n % 2 === 1 ? upper : bucketOf(hist, (n >> 1) - 1);
  // The median lies in [lowest value of lower's bucket, highest of upper's]: the cut in 1000 x that,
  // widened by a bucket each side for float64 -> float32 rounding.
  const cutFrom = Math.max(0, bucketOfValue(massiveRelative * floatOfBits(lower.bucket << 16)) - 1);
  const cutTo = Math.min(INF_BUCKET - 1, bucketOfValue(massiveRelative * floatOfBits((upper.bucket << 16) | 0xffff)) + 1);
  const k = Math.max(0, Math.min(topK, n));
  const topFrom = topBucket(Math.max(1, k)); // at least the largest scalar: maxAbs

  if (sum(cutFrom, cutTo) > MAX_CANDIDATES || sum(topFrom, INF_BUCKET - 1) > MAX_CANDIDATES) return null;

  const topIdx = new Uint32Array(sum(topFrom, INF_BUCKET - 1));
  const cutBits = new Uint32Array(sum(cutFrom, cutTo));
  lowUpper.fill(0);
  if (lower.bucket !== upper.bucket) lowLower.fill(0);
  let nTop = 0;
  let nCut = 0;
  let above100 = 0; // in 100's bucket, above 100 (every scalar of a higher bucket is)
  const [ub, lb] = [upper.bucket, lower.bucket];
  for (let i = 0; i < n; i++) {
    const b = (bits[i] as number) & 0x7fffffff;
    const bucket = (b >> 16) & 0x7fff;
    if (bucket === ub) lowUpper[b & 0xffff]++;
    else if (bucket === lb) lowLower[b & 0xffff]++;
    if (bucket >= topFrom) topIdx[nTop++] = i;
    if (bucket >= cutFrom && bucket <= cutTo) cutBits[nCut++] = b;
    if (bucket === BUCKET_100 && (b & 0xffff) !== 0) above100++;
  }

  const up = valueAt(upper, lowUpper);
  const med = n % 2 === 1 ? up : (valueAt(lower, lower.bucket === upper.bucket ? lowUpper : lowLower) + up) / 2;
  const cut = massiveRelative * med;
  const aboveCut = countAbove(cut, cutBits, cutTo);
  const aboveHundred = above100 + sum(BUCKET_100 + 1, INF_BUCKET - 1);
  const absoluteCount = cut >= 100 ? aboveCut : aboveHundred;
  const top = ranked(layer, bits, topIdx, Math.max(1, k), d);
  const maxAbs = Math.abs(top[0]?.value as number);
  return { top: top.slice(0, k), maxAbs, medianAbs: med, relative: med > 0 ? maxAbs / med : 0, absoluteCount, relativeCount: aboveCut - absoluteCount };
}

/** The lowest bucket whose buckets from there up hold at least k scalars. */
function topBucket(k: number): number {
  let bucket = INF_BUCKET - 1;
  let count = hist[bucket] as number;
  while (count < k && bucket > 0) count += hist[--bucket] as number;
  return bucket;
}

function sum(from: number, to: number): number {
  let s = 0;
  for (let b = from; b <= to; b++) s += hist[b] as number;
  return s;
}

/** Scalars with |x| > cut: every scalar above the collected buckets, plus the collected ones above it. */
function countAbove(cut: number, collected: Uint32Array, lastCollected: number): number {
  let count = sum(lastCollected + 1, INF_BUCKET - 1);
  for (let i = 0; i < collected.length; i++) if (floatOfBits(collected[i] as number) > cut) count++;
  return count;
}

/** The k largest |x| among the candidates, largest first, ties to the earlier position. */
function ranked(layer: Float32Array, bits: Int32Array, candidates: Uint32Array, k: number, d: number): MassiveActivation[] {
  const order = Array.from(candidates);
  const key = (i: number): number => (bits[i] as number) & 0x7fffffff;
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order.slice(0, k).map((i) => ({ token: Math.floor(i / d), dim: i % d, value: layer[i] as number }));
}
