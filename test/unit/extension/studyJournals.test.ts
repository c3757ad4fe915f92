/** Run Study's journal pruning (the documented policy: age in days, the newest N kept) and the study kept for the view's restore. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { journalsToPrune, lastStudyPath, pruneJournals, readLastStudy } from '../../../src/extension/study/studyPlan';
import { STUDY_JOURNAL_KEEP, STUDY_JOURNAL_MAX_AGE_DAYS } from '../../../src/shared/defaults';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 10, 30);
const tmp = mkdtempSync(join(tmpdir(), 'sinklens-journals-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('study journal pruning', () => {
  it('removes journals older than the age limit and all but the newest N; other files are left alone', () => {
    const files = [
      { name: 'a.journal.jsonl', mtimeMs: NOW - 1 * DAY },
      { name: 'b.journal.jsonl', mtimeMs: NOW - 31 * DAY },
      { name: 'c.journal.jsonl', mtimeMs: NOW - 2 * DAY },
      { name: 'd.journal.jsonl', mtimeMs: NOW - 3 * DAY },
      { name: 'last.study.json', mtimeMs: NOW - 90 * DAY },
    ];
    assert.deepEqual(journalsToPrune(files, NOW, { maxAgeDays: 30, keep: 2 }).sort(), ['b.journal.jsonl', 'd.journal.jsonl']);
    assert.deepEqual(journalsToPrune(files, NOW, { maxAgeDays: 30, keep: 10 }), ['b.journal.jsonl']);
    // Exactly at the limit is kept; a millisecond past it is not.
    assert.deepEqual(journalsToPrune([{ name: 'x.journal.jsonl', mtimeMs: NOW - 30 * DAY }], NOW, { maxAgeDays: 30, keep: 10 }), []);
    assert.deepEqual(journalsToPrune([{ name: 'x.journal.jsonl', mtimeMs: NOW - 30 * DAY - 1 }], NOW, { maxAgeDays: 30, keep: 10 }), ['x.journal.jsonl']);
    assert.equal(STUDY_JOURNAL_MAX_AGE_DAYS, 30);
    assert.equal(STUDY_JOURNAL_KEEP, 20);
  });

  it('prunes a real folder by modification time with the default policy', () => {
    const dir = join(tmp, 'studies');
    const names = Array.from({ length: STUDY_JOURNAL_KEEP + 2 }, (_, i) => `${String(i).padStart(2, '0')}.journal.jsonl`);
    mkdirSync(dir, { recursive: true });
    names.forEach((name, i) => {
      writeFileSync(join(dir, name), '{}\n');
      const t = (NOW - i * 3600 * 1000) / 1000; // 00 newest, then one hour older each
      utimesSync(join(dir, name), t, t);
    });
    writeFileSync(join(dir, 'old.journal.jsonl'), '{}\n');
    const old = (NOW - 40 * DAY) / 1000;
    utimesSync(join(dir, 'old.journal.jsonl'), old, old);
    writeFileSync(join(dir, 'last.study.json'), '{}');
    const gone = pruneJournals(dir, NOW).sort();
    assert.deepEqual(gone, ['20.journal.jsonl', '21.journal.jsonl', 'old.journal.jsonl']);
    assert.deepEqual(readdirSync(dir).sort(), [...names.slice(0, STUDY_JOURNAL_KEEP), 'last.study.json'].sort());
    assert.deepEqual(pruneJournals(join(tmp, 'missing'), NOW), []);
  });
});

describe('the study view keeps its study for a reload', () => {
  it('reads back a kept study and refuses what is not one', () => {
    const file = lastStudyPath(tmp);
    assert.equal(file, join(tmp, 'studies', 'last.study.json'));
    assert.equal(readLastStudy(file), undefined, 'nothing kept yet');
    mkdirSync(join(tmp, 'studies'), { recursive: true });
    const study = { kind: 'sinklens-study', models: [{ name: 'm' }], prompts: [{ id: 'p' }], complete: true };
    writeFileSync(file, JSON.stringify(study));
    assert.deepEqual(readLastStudy(file), study);
    writeFileSync(file, JSON.stringify({ kind: 'other', models: [], prompts: [] }));
    assert.equal(readLastStudy(file), undefined);
    writeFileSync(file, '{"kind": "sinklens-st');
    assert.equal(readLastStudy(file), undefined);
    // The kept study sits beside the journals and is never pruned as one.
    assert.deepEqual(journalsToPrune([{ name: 'last.study.json', mtimeMs: 0 }], NOW), []);
  });
});
