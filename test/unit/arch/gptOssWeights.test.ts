/**
 * gpt-oss weight mapping: every expert's gate / up / down (and biases) equal the oracle's reading of the
 * fused tensors (bf16-style [E, in, out] and MXFP4 blocks/scales), every key is unique, and each fused
 * tensor is read from disk once while its experts are sliced out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { e2m1, dequantMxfp4 } from '../../../src/engine/arch/mxfp4';
import { getAdapter } from '../../../src/engine/arch/registry';
import { loadConfig } from '../../../src/engine/model/config';
import { openWeights } from '../../../src/engine/model/safetensors';
import type { WeightStore } from '../../../src/engine/weights/types';
import { e2m1Value, packMxfp4 } from '../../../tools/modelgen';
import { GPT_OSS_SPECS, generateModel } from '../../support/genModel';
import { loadGptOssRef } from '../../support/reference';

const root = mkdtempSync(join(tmpdir(), 'sinklens-gptoss-w-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A store that counts the whole-tensor reads per name. */
function counting(store: WeightStore): { store: WeightStore; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const bump = (n: string) => reads.set(n, (reads.get(n) ?? 0) + 1);
  return {
    reads,
    store: { ...store, read: (n) => (bump(n), store.read(n)), readBytes: (n) => (bump(n), (store.readBytes as (x: string) => Uint8Array)(n)) },
  };
}

describe('gpt-oss weights', () => {
  for (const spec of GPT_OSS_SPECS) {
    it(`${spec.name}: experts, router and sinks equal the oracle's; one disk read per fused tensor`, () => {
      const dir = join(root, spec.name);
      generateModel(dir, spec);
      const cfg = loadConfig(dir);
      const raw = openWeights(dir);
      const { store, reads } = counting(raw);
      try {
        const w = getAdapter('gpt_oss').mapWeights(store, cfg);
        const ref = loadGptOssRef(dir);
        const { d, ff, E } = ref.config;
        const keys: string[] = [];
        w.layers.forEach((l, i) => {
          const r = ref.layers[i]!;
          assert.ok(l.moe && l.sinks);
          assert.deepEqual(Array.from(l.sinks.load()), Array.from(r.sinks));
          assert.deepEqual(Array.from(l.moe.router.weight.load()), Array.from(r.router.w));
          l.moe.experts.forEach((ex, e) => {
            const re = r.experts[e]!;
            // The model computes x @ gate_up[e] (in, out): gate = even output columns, up = odd ones.
            const col = (m: Float64Array, cols: number, c: number) => Array.from({ length: m.length / cols }, (_, k) => m[k * cols + c] as number);
            const gate = ex.gate.weight.load();
            const up = ex.up.weight.load();
            for (const f of [0, ff - 1]) {
              assert.deepEqual(Array.from(gate.subarray(f * d, (f + 1) * d)), col(re.gateUp, 2 * ff, 2 * f), `L${i} e${e} gate row ${f}`);
              assert.deepEqual(Array.from(up.subarray(f * d, (f + 1) * d)), col(re.gateUp, 2 * ff, 2 * f + 1), `L${i} e${e} up row ${f}`);
            }
            assert.deepEqual(Array.from(ex.gate.bias!.load()), Array.from(re.gateUpBias.filter((_, k) => k % 2 === 0)));
            assert.deepEqual(Array.from(ex.up.bias!.load()), Array.from(re.gateUpBias.filter((_, k) => k % 2 === 1)));
            const down = ex.down.weight.load(); // [d, ff]
            assert.deepEqual(Array.from(down.subarray(0, ff)), col(re.down, d, 0), `L${i} e${e} down row 0`);
            assert.deepEqual(Array.from(ex.down.bias!.load()), Array.from(re.downBias));
            keys.push(ex.gate.weight.key, ex.up.weight.key, ex.down.weight.key, ex.gate.bias!.key, ex.up.bias!.key, ex.down.bias!.key);
          });
          assert.equal(l.moe.experts.length, E);
        });
        assert.equal(new Set(keys).size, keys.length, 'every expert tensor has its own key');
        for (const [name, n] of reads) if (/experts\.(gate_up|down)_proj/.test(name)) assert.equal(n, 1, `${name} read ${n} times`);
      } finally {
        raw.close();
      }
    });
  }

  it('MXFP4: the E2M1 table, the nibble order and the E8M0 scale, against the format description', () => {
    assert.deepEqual(Array.from({ length: 16 }, (_, c) => e2m1(c)), Array.from({ length: 16 }, (_, c) => e2m1Value(c)));
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(e2m1), [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    // One expert, one output row, 32 inputs: byte 0 = 0x2F -> value 0 is code 0xF (-6), value 1 is code 0x2 (1); scale 2^(129-127) = 4.
    const blocks = new Uint8Array(16);
    blocks[0] = 0x2f;
    const got = dequantMxfp4(blocks, Uint8Array.of(129), 0, 1, 32);
    assert.deepEqual(Array.from(got.subarray(0, 3)), [-24, 4, 0]);
    // The generator's packing round-trips values on the grid exactly.
    const w = Float32Array.from({ length: 32 }, (_, i) => [0, 0.5, 1, 1.5, 2, 3, 4, -6][i % 8]! * 0.25); // [1, 32, 1] (in, out)
    const p = packMxfp4(w, 1, 32, 1);
    assert.deepEqual(Array.from(dequantMxfp4(p.blocks, p.scales, 0, 1, 32)), Array.from(w));
  });
});
