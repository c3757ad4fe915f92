/** The panel header names the weight precision and the execution provider a result was computed with. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Window } from 'happy-dom';
import { renderHeader } from '../../../src/webview/render/header';
import type { AnalysisResult, PrecisionInfo } from '../../../src/shared/result';
import { sampleResult } from './support/sampleResult';

function weightsChip(r: AnalysisResult): HTMLElement {
  const doc = new Window().document as unknown as Document;
  const chips = renderHeader(doc, r).flatMap((e) => Array.from(e.querySelectorAll<HTMLElement>('.sl-chip')));
  const chip = chips.find((c) => c.querySelector('.sl-chip-label')?.textContent === 'weights');
  assert.ok(chip, 'a weights chip');
  return chip;
}

const withPrecision = (p: PrecisionInfo): AnalysisResult => {
  const r = sampleResult();
  return { ...r, model: { ...r.model, precision: p } };
};

describe('panel header: precision', () => {
  it('shows what auto picked and why (tooltip)', () => {
    const reason = 'weights auto → int4: int4 weights take 4.10 GiB of 9.00 GiB available memory; fp32 (29.9 GiB) does not fit in half of it.';
    const chip = weightsChip(withPrecision({ weights: 'int4', requested: 'auto', executionProvider: 'cpu', reason, providerNote: null }));
    assert.equal(chip.querySelector('.sl-chip-value')?.textContent, 'int4 (auto)');
    assert.equal(chip.getAttribute('title'), reason);
  });

  it('names a non-CPU provider, and a fallback in the tooltip', () => {
    const gpu = weightsChip(withPrecision({ weights: 'int8', requested: 'int8', executionProvider: 'cuda', reason: null, providerNote: null }));
    assert.equal(gpu.querySelector('.sl-chip-value')?.textContent, 'int8 · cuda');
    const note = 'Execution provider cuda is unavailable, running on the CPU: cuda: its library … is not installed.';
    const cpu = weightsChip(withPrecision({ weights: 'fp32', requested: 'fp32', executionProvider: 'cpu', reason: null, providerNote: note }));
    assert.equal(cpu.querySelector('.sl-chip-value')?.textContent, 'fp32');
    assert.equal(cpu.getAttribute('title'), note);
  });

  it('says in the tooltip where a GGUF file\'s linears came from', () => {
    const sources = '14 Q4_0 as stored (4-bit), 1 Q6_K re-quantised to 4-bit';
    const chip = weightsChip(withPrecision({ weights: 'int4', requested: 'int4', executionProvider: 'cpu', reason: null, providerNote: null, sources }));
    assert.equal(chip.querySelector('.sl-chip-value')?.textContent, 'int4');
    assert.equal(chip.getAttribute('title'), `GGUF linears: ${sources}`);
  });

  it('a result saved before precisions existed reads fp32', () => {
    const chip = weightsChip(sampleResult());
    assert.equal(chip.querySelector('.sl-chip-value')?.textContent, 'fp32');
    assert.equal(chip.getAttribute('title'), null);
  });
});
