/**
 * Prompt-set readers: a folder of prompt files, a .jsonl ({text} or {messages}), a .txt with one prompt
 * per line; every bad line is a clear error naming the file and the line; the built-in set.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseJsonl, parseLines, readPromptSet } from '../../../src/engine/study/prompts';
import { PROJECT_ROOT } from '../../support/fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-prompts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('prompt sets', () => {
  test('a folder: one prompt per prompt file, in name order, other files ignored', () => {
    const dir = join(tmp, 'folder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.prompt'), 'Second prompt\nwith two lines');
    writeFileSync(join(dir, 'a.txt'), 'First prompt');
    writeFileSync(join(dir, 'c.md'), '# Third');
    writeFileSync(join(dir, 'notes.json'), '{}');
    writeFileSync(join(dir, '.hidden.txt'), 'x');
    const ps = readPromptSet(dir);
    assert.deepEqual(ps.map((p) => p.id), ['a.txt', 'b.prompt', 'c.md']);
    assert.equal(ps[1]!.text, 'Second prompt\nwith two lines');
    assert.deepEqual(ps.map((p) => p.index), [0, 1, 2]);
    writeFileSync(join(dir, 'd.txt'), '  \n');
    assert.throws(() => readPromptSet(dir), /d\.txt: the prompt file is empty/);
  });

  test('a .txt: one prompt per non-blank line, sources name the line', () => {
    const ps = parseLines('first line\n\n  \nsecond line\r\nthird', 'p.txt');
    assert.deepEqual(ps.map((p) => [p.id, p.source, p.text]), [['p1', 'p.txt:1', 'first line'], ['p2', 'p.txt:4', 'second line'], ['p3', 'p.txt:5', 'third']]);
  });

  test('a .jsonl: text, messages (user contents joined by a blank line), ids', () => {
    const ps = parseJsonl(
      [
        '{"text": "Plain prompt", "id": "a"}',
        '',
        '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Why?"}]}',
        '{"text": "Numbered", "id": 7}',
      ].join('\n'),
      'set.jsonl',
    );
    assert.deepEqual(ps.map((p) => p.id), ['a', 'p2', '7']);
    assert.equal(ps[1]!.text, 'Hi\n\nWhy?');
    assert.equal(ps[1]!.fromMessages, true);
    assert.equal(ps[1]!.source, 'set.jsonl:3');
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"text": "ok"}\n{"text": oops}', /set\.jsonl:2: not valid JSON/],
    ['not an object', '["a"]', /set\.jsonl:1: expected a JSON object/],
    ['no text or messages', '{"prompt": "x"}', /set\.jsonl:1: needs "text" \(a string\) or "messages"/],
    ['text not a string', '{"text": 3}', /set\.jsonl:1: "text" must be a string/],
    ['empty text', '\n\n{"text": "  "}', /set\.jsonl:3: "text" is empty/],
    ['bad message', '{"messages": [{"role": "user"}]}', /set\.jsonl:1: messages\[0\] must be \{"role": string, "content": string\}/],
    ['no user message', '{"messages": [{"role": "system", "content": "x"}]}', /set\.jsonl:1: no user message/],
    ['empty messages', '{"messages": []}', /set\.jsonl:1: "messages" must be a non-empty array/],
    ['bad id', '{"text": "x", "id": {}}', /set\.jsonl:1: "id" must be a string or a number/],
    ['duplicate id', '{"text": "x", "id": "a"}\n{"text": "y", "id": "a"}', /set\.jsonl:2: id 'a' is used already on line 1/],
  ];
  for (const [what, content, re] of bad) {
    test(`a bad .jsonl line is an error naming the line: ${what}`, () => {
      assert.throws(
        () => parseJsonl(content, 'set.jsonl'),
        (e: unknown) => (e as { code?: string }).code === 'badRequest' && re.test((e as Error).message),
      );
    });
  }

  test('missing paths, unknown extensions and empty sets are errors', () => {
    assert.throws(() => readPromptSet(join(tmp, 'nope.jsonl')), /no such file or folder/);
    writeFileSync(join(tmp, 'set.csv'), 'a,b');
    assert.throws(() => readPromptSet(join(tmp, 'set.csv')), /a folder, a \.jsonl or a \.txt file \(got '\.csv'\)/);
    writeFileSync(join(tmp, 'blank.txt'), '\n\n');
    assert.throws(() => readPromptSet(join(tmp, 'blank.txt')), /no prompts in it/);
    mkdirSync(join(tmp, 'emptydir'));
    assert.throws(() => readPromptSet(join(tmp, 'emptydir')), /no prompts in it \(prompt files end in/);
  });

  test('the built-in set has >= 40 prompts: word problems, code, chat and prose', () => {
    const ps = readPromptSet(join(PROJECT_ROOT, 'examples', 'prompts', 'builtin.jsonl'));
    assert.ok(ps.length >= 40, `${ps.length} prompts`);
    for (const kind of ['math', 'code', 'chat', 'prose']) assert.ok(ps.filter((p) => p.id.startsWith(kind)).length >= 10, kind);
    assert.ok(ps.filter((p) => p.fromMessages).length >= 10);
    assert.equal(new Set(ps.map((p) => p.id)).size, ps.length);
  });
});
