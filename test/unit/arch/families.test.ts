/**
 * The user-facing family list (src/shared/families.ts: README table, `sinklens models`, Select Model)
 * agrees with what the engine really registers and reads: the same ids and model_types as the
 * registry, the same GGUF architectures as the GGUF reader, and the sliding-window / learned-sink /
 * expert claims match what each adapter produces for a config that switches them on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { architectureIds, getAdapter, supportedModelTypes } from '../../../src/engine/arch/registry';
import { ggufArchitectures } from '../../../src/engine/model/gguf/config';
import { FAMILIES, familyOf, familySummary } from '../../../src/shared/families';
import { GEMMA2_2B, GPT_OSS_20B, MISTRAL_7B, PHI3_MINI_4K, TINYLLAMA } from './configs';

describe('the family list users see', () => {
  it('names exactly the registered architectures and model_types', () => {
    assert.deepEqual(FAMILIES.map((f) => f.id).sort(), architectureIds().sort());
    assert.deepEqual(FAMILIES.flatMap((f) => f.modelTypes).sort(), supportedModelTypes().sort());
    for (const f of FAMILIES) for (const t of f.modelTypes) assert.equal(getAdapter(t).id, f.id, `${t} -> ${f.id}`);
  });

  it('names exactly the GGUF architectures the reader maps', () => {
    assert.deepEqual(FAMILIES.flatMap((f) => f.gguf).sort(), ggufArchitectures().sort());
  });

  it('its feature claims hold on real configs', () => {
    const norm = (raw: Record<string, unknown>) => getAdapter(raw['model_type']).normalizeConfig(raw, 'm');
    for (const raw of [MISTRAL_7B, GEMMA2_2B, PHI3_MINI_4K, GPT_OSS_20B] as Record<string, unknown>[]) {
      assert.ok(familyOf(raw['model_type'] as string)?.slidingWindow, `${String(raw['model_type'])} claims windows`);
      assert.ok(norm(raw).layerWindows?.some((w) => w !== null), `${String(raw['model_type'])} has windowed layers`);
    }
    assert.equal(familyOf('llama')?.slidingWindow, false);
    assert.equal(norm(TINYLLAMA as Record<string, unknown>).layerWindows, undefined);
    const oss = norm(GPT_OSS_20B as Record<string, unknown>);
    assert.ok(oss.attnSinks && oss.moe && familyOf('gpt_oss')?.learnedSinks && familyOf('gpt_oss')?.moe);
    assert.deepEqual(FAMILIES.filter((f) => f.learnedSinks).map((f) => f.id), ['gpt_oss']);
  });

  it('summaries read as one line per family', () => {
    assert.equal(familySummary(familyOf('gemma2')!), 'Gemma 2 · fp32/fp16/int8/int4 · sliding window');
    assert.equal(familySummary(familyOf('gpt_oss')!), 'gpt-oss · fp32/fp16/int8/int4 · sliding window · learned sinks · experts (MoE)');
    assert.equal(familyOf('gemma3', true)?.id, 'gemma3');
    assert.equal(familyOf('falcon'), undefined);
  });
});
