/**
 * MXFP4 (OCP microscaling FP4), as gpt-oss checkpoints store their experts: per group of 32 values
 * along the input axis, 16 bytes of FP4 E2M1 codes (two per byte, value 2i in the low nibble, 2i+1
 * in the high nibble) and one E8M0 scale byte (2^(s - 127)). An E2M1 code is a sign bit (8) and a
 * magnitude index into {0, 0.5, 1, 1.5, 2, 3, 4, 6}. Stored layout per tensor:
 *   blocks uint8 [E, rows, K/32, 16], scales uint8 [E, rows, K/32]; rows are the torch Linear outputs,
 *   K its inputs (transformers' convert_moe_packed_tensors returns [E, rows, K] before transposing).
 * Pure: bytes in, float32 out.
 */

/** |E2M1| by the low three bits of a code. */
export const E2M1_MAGNITUDES: readonly number[] = [0, 0.5, 1, 1.5, 2, 3, 4, 6];

/** Values per MXFP4 group (one scale each). */
export const MXFP4_GROUP = 32;

/** The value of one 4-bit code. */
export function e2m1(code: number): number {
  const m = E2M1_MAGNITUDES[code & 7] as number;
  return code & 8 ? -m : m;
}

/**
 * Expert `e`'s dequantised [rows, K] matrix (torch Linear layout) from the whole tensor's blocks and
 * scales ([E, rows, K/32, 16] and [E, rows, K/32]).
 */
export function dequantMxfp4(blocks: Uint8Array, scales: Uint8Array, e: number, rows: number, K: number): Float32Array {
  const groups = K / MXFP4_GROUP;
  const out = new Float32Array(rows * K); // [rows, K]
  const lut = new Float32Array(16);
  for (let c = 0; c < 16; c++) lut[c] = e2m1(c);
  for (let r = 0; r < rows; r++) {
    const row = e * rows + r;
    for (let g = 0; g < groups; g++) {
      const scale = Math.pow(2, (scales[row * groups + g] as number) - 127);
      const src = (row * groups + g) * (MXFP4_GROUP / 2);
      const dst = r * K + g * MXFP4_GROUP;
      for (let i = 0; i < MXFP4_GROUP / 2; i++) {
        const b = blocks[src + i] as number;
        out[dst + 2 * i] = (lut[b & 15] as number) * scale;
        out[dst + 2 * i + 1] = (lut[b >> 4] as number) * scale;
      }
    }
  }
  return out;
}
