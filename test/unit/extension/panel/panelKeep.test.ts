/**
 * The panel's last result kept for a window reload (panelKeep.ts): written whole, read back equal,
 * and never handed to the panel when it is missing, damaged or not a result the panel can render.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keepSnapshot, keptSnapshotPath, readKeptSnapshot } from '../../../../src/extension/panel/panelKeep';
import type { PanelSnapshot } from '../../../../src/shared/protocol/panel';
import { sampleResult } from '../../webview/support/sampleResult';

const dir = mkdtempSync(join(tmpdir(), 'sl-keep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the panel result kept for a reload', () => {
  it('reads back what was kept (a plain result and a comparison), leaving no temporary file', () => {
    const file = keptSnapshotPath(join(dir, 'a'));
    assert.equal(file, join(dir, 'a', 'panel', 'last.snapshot.json'));
    const plain: PanelSnapshot = { result: sampleResult(), source: { uri: 'file:///ws/story.prompt', offset: 12 } };
    keepSnapshot(file, plain);
    assert.deepEqual(readKeptSnapshot(file), plain);
    const compared: PanelSnapshot = { ...plain, compare: { label: 'HEAD', verdict: 'valley moved h[2]→h[3]', other: sampleResult() } };
    keepSnapshot(file, compared);
    assert.deepEqual(readKeptSnapshot(file), compared);
    assert.deepEqual(readdirSync(dirname(file)), ['last.snapshot.json']);
  });

  it('does not keep a snapshot over the size limit, and removes the older one it would replace', () => {
    const file = keptSnapshotPath(join(dir, 'c'));
    const small: PanelSnapshot = { result: sampleResult(), source: { uri: '', offset: 0 } };
    const size = JSON.stringify(small).length;
    assert.equal(keepSnapshot(file, small, size), true, 'at the limit: kept');
    assert.deepEqual(readKeptSnapshot(file), small);
    assert.equal(keepSnapshot(file, small, size - 1), false, 'one character over: not kept');
    assert.equal(readKeptSnapshot(file), null, 'and the older snapshot is gone');
  });

  it('gives nothing for a missing, truncated or foreign file, or a result the panel would reject', () => {
    const file = keptSnapshotPath(join(dir, 'b'));
    assert.equal(readKeptSnapshot(file), null, 'missing');
    keepSnapshot(file, { result: sampleResult(), source: { uri: '', offset: 0 } });
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length >> 1));
    assert.equal(readKeptSnapshot(file), null, 'truncated');
    writeFileSync(file, JSON.stringify({ kind: 'sinklens-study', models: [], prompts: [] }));
    assert.equal(readKeptSnapshot(file), null, 'a study, not a panel snapshot');
    writeFileSync(file, JSON.stringify({ result: { ...sampleResult(), schemaVersion: 1 }, source: { uri: '', offset: 0 } }));
    assert.equal(readKeptSnapshot(file), null, 'an older result schema');
    writeFileSync(file, JSON.stringify({ result: sampleResult(), source: { uri: '', offset: 0 }, compare: { label: 'HEAD', verdict: 'x', other: {} } }));
    assert.equal(readKeptSnapshot(file), null, 'a comparison whose other run is not a result');
  });
});
