/** CSV quoting and formula neutralisation; the journal's resume rules (another study, a cut last line). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { csvField, csvText, toCsv } from '../../../src/engine/study/csv';
import { readJournal, StudyJournal } from '../../../src/engine/study/journal';
import { record } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-journal-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('CSV', () => {
  test('RFC 4180 quoting, empty cells for missing values, formulas neutralised in text', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(Number.NaN), '');
    assert.equal(csvField(0.125), '0.125');
    assert.equal(csvField(false), 'false');
    assert.equal(csvText('=SUM(A1)'), "'=SUM(A1)");
    assert.equal(csvText('-1'), "'-1");
    assert.equal(csvText('plain'), 'plain');
    assert.equal(toCsv(['x', 'y'], [[1, 'a'], [null, ' b,']]), 'x,y\n1,a\n," b,"\n');
  });
});

describe('study journal', () => {
  const entry = (i: number) => ({ model: '/m/a', weights: 'ab', record: record({ index: i, entropy: [0.8, 0.5, 0.7] }) });

  test('appends records; reopening with the same key resumes them', () => {
    const path = join(tmp, 'j1.jsonl');
    const a = StudyJournal.open(path, 'key1');
    assert.equal(a.entries.length, 0);
    a.journal.append(entry(0));
    a.journal.append(entry(1));
    const b = StudyJournal.open(path, 'key1');
    assert.deepEqual(b.entries.map((e) => e.record.index), [0, 1]);
    assert.equal(b.replaced, null);
  });

  test('a line cut by a kill is dropped, and the file is rewritten so later appends stay whole', () => {
    const path = join(tmp, 'j2.jsonl');
    const a = StudyJournal.open(path, 'k');
    a.journal.append(entry(0));
    writeFileSync(path, `${readFileSync(path, 'utf8')}${JSON.stringify(entry(1)).slice(0, 40)}`);
    const b = StudyJournal.open(path, 'k');
    assert.deepEqual(b.entries.map((e) => e.record.index), [0]);
    b.journal.append(entry(2));
    assert.deepEqual(StudyJournal.open(path, 'k').entries.map((e) => e.record.index), [0, 2]);
  });

  test('a journal of another study (or not a journal) is replaced, with the reason', () => {
    const text = `${JSON.stringify({ kind: 'sinklens-study-journal', version: 1, key: 'old' })}\n${JSON.stringify(entry(0))}\n`;
    const r = readJournal(text, 'new');
    assert.equal(r.entries.length, 0);
    assert.match(r.replaced ?? '', /another study/);
    assert.match(readJournal('hello', 'k').replaced ?? '', /not a SinkLens study journal/);
  });
});
