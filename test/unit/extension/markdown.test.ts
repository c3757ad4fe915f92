/** Markdown built from model names and paths renders as the text it is (no links, code spans or HTML). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeMarkdown, modelTooltip } from '../../../src/extension/markdown';

/** Undoes the escaping the way a CommonMark renderer does: a backslash before ASCII punctuation is dropped. */
const unescape = (s: string): string => s.replace(/\\([!-/:-@[-`{-~])/g, '$1');

describe('escapeMarkdown', () => {
  const hostile = ['[click](command:workbench.action.terminal.new)', '`rm -rf`', '<img src=x onerror=alert(1)>', '**bold** _it_ # head', '$(bug) C:\\models\\x', 'a\nb'];
  for (const h of hostile) {
    it(`escapes ${JSON.stringify(h)}`, () => {
      const e = escapeMarkdown(h);
      assert.doesNotMatch(e, /(^|[^\\])[[\]`<>*_#$()]/, `an unescaped special character is left in ${e}`);
      assert.equal(unescape(e), h.replace(/\n/g, ' '));
    });
  }

  it('the status tooltip escapes the model name, the folder and the error', () => {
    const t = modelTooltip({ ok: true, label: '[x](command:y)', dir: '/m/`a`' }, true);
    assert.ok(t.startsWith('**SinkLens model:** \\[x\\]\\(command\\:y\\)'));
    assert.ok(t.includes('/m/\\`a\\`'));
    assert.match(t, /Live analysis is on\.$/);
    assert.ok(modelTooltip({ ok: false, message: 'no <b>model</b>' }, false).includes('no \\<b\\>model\\</b\\>'));
  });
});
