import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frontMatterEnd, promptSections, sectionAt, splitLines } from '../../../src/extension/promptSections';

/** Every section's text is exactly the document slice at its offsets, and its line is where it starts. */
function checkInvariants(doc: string, sections: ReturnType<typeof promptSections>): void {
  for (const s of sections) {
    assert.equal(doc.slice(s.start, s.end), s.text, `${s.kind} offsets`);
    if (s.kind !== 'document') assert.equal(doc.slice(0, s.start).split(/\r\n|\n|\r/).length - 1, s.line, `${s.kind} line`);
    assert.equal(s.text, s.text.trim());
  }
}

describe('promptSections', () => {
  it('a plain prompt is one document section, trimmed, at exact offsets', () => {
    const doc = '\n  You are a helpful assistant.\nAnswer briefly.\n\n';
    const s = promptSections(doc, { markdown: false });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.map(({ kind, start, end, line }) => ({ kind, start, end, line })),
      [{ kind: 'document', start: 3, end: 47, line: 0 }],
    );
    assert.equal(s[0]?.text, 'You are a helpful assistant.\nAnswer briefly.');
  });

  it('front matter is excluded from every section', () => {
    const doc = '---\nname: demo\nmodel: x\n---\nsystem:\nBe terse.\n---\nuser:\n{{question}}\n';
    assert.equal(frontMatterEnd(doc), 28);
    const s = promptSections(doc, { markdown: false });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.map((x) => [x.kind, x.text, x.line]),
      [
        ['document', 'system:\nBe terse.\n---\nuser:\n{{question}}', 0],
        ['section', 'system:\nBe terse.', 4],
        ['section', 'user:\n{{question}}', 7],
      ],
    );
    assert.equal(s[1]?.start, 28);
  });

  it('CRLF line breaks keep offsets exact', () => {
    const doc = '---\r\nname: a\r\n---\r\nfirst\r\n---\r\nsecond';
    const s = promptSections(doc, { markdown: false });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.map((x) => [x.kind, x.start, x.end]),
      [
        ['document', 19, 37],
        ['section', 19, 24],
        ['section', 31, 37],
      ],
    );
  });

  it('an unclosed leading --- is not front matter; one separator gives two sections', () => {
    const doc = '---\nabc\n';
    assert.equal(frontMatterEnd(doc), 0);
    const s = promptSections(doc, { markdown: false });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.map((x) => x.kind),
      ['document'],
    );
    const doc2 = 'a\n---\nb';
    assert.deepEqual(
      promptSections(doc2, { markdown: false }).map((x) => x.text),
      ['a\n---\nb', 'a', 'b'],
    );
  });

  it('empty sections between separators are skipped; a blank document has no lenses', () => {
    const doc = 'one\n---\n\n---\ntwo\n---\n';
    const s = promptSections(doc, { markdown: false });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.filter((x) => x.kind === 'section').map((x) => x.text),
      ['one', 'two'],
    );
    assert.deepEqual(promptSections('  \n\n', { markdown: false }), []);
    assert.deepEqual(promptSections('---\ntitle: x\n---\n\n', { markdown: true }), []);
  });

  it('markdown fenced prompt blocks get their own section; code fences do not; --- inside a fence does not split', () => {
    const doc = [
      '# Prompts', // 0
      '', // 1
      '```prompt', // 2
      'You are a pirate.', // 3
      '---', // 4
      'Say arr.', // 5
      '```', // 6
      '', // 7
      '```python', // 8
      'print(1)', // 9
      '```', // 10
      '', // 11
      '~~~', // 12
      'Plain fence', // 13
      '~~~', // 14
    ].join('\n');
    const s = promptSections(doc, { markdown: true });
    checkInvariants(doc, s);
    assert.deepEqual(
      s.map((x) => [x.kind, x.text, x.line]),
      [
        ['document', doc, 0],
        ['fence', 'You are a pirate.\n---\nSay arr.', 3],
        ['fence', 'Plain fence', 13],
      ],
    );
    // The same text as a non-markdown file has no fence sections.
    assert.deepEqual(
      promptSections(doc, { markdown: false }).map((x) => x.kind),
      ['document'],
    );
  });

  it('an unclosed fence runs to the end of the document', () => {
    const doc = 'intro\n```\nhello\nworld';
    const s = promptSections(doc, { markdown: true });
    checkInvariants(doc, s);
    assert.deepEqual(s[1], { kind: 'fence', start: 10, end: 21, text: 'hello\nworld', line: 2 });
  });

  it('sectionAt picks the innermost target under an offset', () => {
    const doc = 'a\n---\n```\nfenced\n```\n';
    const s = promptSections(doc, { markdown: true });
    const inFence = doc.indexOf('fenced') + 2;
    assert.equal(sectionAt(s, inFence)?.kind, 'fence');
    assert.equal(sectionAt(s, 0)?.kind, 'section');
    assert.equal(sectionAt(s, doc.length + 5), undefined);
  });

  it('splitLines handles \\n, \\r\\n and \\r', () => {
    assert.deepEqual(
      splitLines('a\r\nb\rc\n').map((l) => [l.start, l.end, l.next]),
      [
        [0, 1, 3],
        [3, 4, 5],
        [5, 6, 7],
        [7, 7, 7],
      ],
    );
  });
});
