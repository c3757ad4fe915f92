/** Chat-template tokens in the token strip: special-token styling, labelled as template, no char range. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Window } from 'happy-dom';
import type { TokenInfo } from '../../../src/shared/result';
import { renderTokenCard, renderTokens } from '../../../src/webview/render/tokenStrip';

const tokens: TokenInfo[] = [
  { index: 0, id: 1, text: '<s>', start: 0, end: 0, special: true, template: true },
  { index: 1, id: 7, text: '<|user|>', start: 0, end: 0, special: false, template: true },
  { index: 2, id: 9, text: 'hello', start: 0, end: 5, special: false },
];

describe('token strip: chat-template tokens', () => {
  it('styles template tokens like special tokens and says so', () => {
    const doc = new Window().document as unknown as Document;
    const spans = renderTokens(doc, { tokens, values: [0.5, 0.1, 0.2], heat: [1, 0.2, 0.4], selected: new Set(), focus: 0, darkTheme: false });
    assert.deepEqual(spans.map((s) => s.classList.contains('sl-special')), [true, true, false]);
    assert.deepEqual(spans.map((s) => s.classList.contains('sl-template')), [true, true, false]);
    assert.match(spans[1]?.getAttribute('aria-label') ?? '', /^chat template token 1 /);
    assert.match(spans[2]?.getAttribute('aria-label') ?? '', /^token 2 hello/);
    assert.match(renderTokenCard(doc, tokens[1]!, []).textContent ?? '', /chat template/);
    assert.match(renderTokenCard(doc, tokens[2]!, []).textContent ?? '', /chars 0–5/);
  });
});
