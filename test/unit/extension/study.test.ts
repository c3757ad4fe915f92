/**
 * Run Study's host pieces without VS Code: the command's arguments, the model choices, the journal path, the
 * progress line, the RPC's study progress and cancel-keeps-the-answer, and the export files (CSV headers,
 * provenance, PNG checks).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../../src/extension/config';
import { RpcConnection } from '../../../src/extension/rpc/rpcConnection';
import { analysisCsvExport, analysisJsonExport, pngExport, studyCsvExport, studyJsonExport } from '../../../src/extension/study/exportFiles';
import { fmtEta, incrementPerPrompt, journalPathFor, progressLine, studyArgsOf, studyModelChoices } from '../../../src/extension/study/studyPlan';
import { EngineCancel, EngineStudy } from '../../../src/shared/protocol/engine';
import type { Msg } from '../../../src/shared/protocol/messages';
import type { StudyProgress } from '../../../src/shared/study';
import { record } from '../study/helpers';
import { sampleResult } from '../webview/support/sampleResult';
import { sampleStudy } from '../webview/support/sampleStudy';

const progress = (o: Partial<StudyProgress>): StudyProgress => ({ model: 'tiny', modelIndex: 0, models: 1, done: 0, total: 40, resumed: 0, msPerPrompt: null, etaMs: null, ...o });

describe('Run Study: arguments, models, journal, progress', () => {
  it('reads {models, limit} from scripts and ignores the explorer selection array', () => {
    assert.deepEqual(studyArgsOf({ models: ['/a', '/b'], limit: 3 }), { models: ['/a', '/b'], limit: 3 });
    assert.deepEqual(studyArgsOf([{ fsPath: '/x' }]), {});
    assert.deepEqual(studyArgsOf({ models: [1], limit: 0 }), {});
    assert.deepEqual(studyArgsOf(undefined), {});
  });

  it('offers the demo and the configured models as folders, the current one picked, one entry per folder', () => {
    const s = { ...DEFAULT_SETTINGS, defaultModel: 'mine', models: [{ name: 'mine', path: '/models/mine' }, { name: 'same', path: '/models/mine' }, { name: 'rel', path: 'm/rel' }] };
    const c = studyModelChoices(s, { demoDir: '/ext/tiny', baseDir: '/ws', cached: () => [] }, '/models/mine');
    assert.deepEqual(c.map((m) => [m.dir, m.picked]), [['/ext/tiny', false], ['/models/mine', true], ['/ws/m/rel', false]]);
  });

  it('one journal per prompt set, models and limit', () => {
    const a = journalPathFor('/store', '/sets/a', ['/m1'], undefined);
    assert.equal(a, journalPathFor('/store', '/sets/a', ['/m1'], undefined));
    assert.ok(a.startsWith('/store/studies/') && a.endsWith('.journal.jsonl'));
    assert.notEqual(a, journalPathFor('/store', '/sets/b', ['/m1'], undefined));
    assert.notEqual(a, journalPathFor('/store', '/sets/a', ['/m1', '/m2'], undefined));
    assert.notEqual(a, journalPathFor('/store', '/sets/a', ['/m1'], 5));
  });

  it('progress line: done/total, resumed, failed, ETA; the increment splits 100 over every prompt of every model', () => {
    assert.equal(progressLine(progress({ done: 12, resumed: 2, etaMs: 65_000 }), 1), 'tiny: 12/40 prompts, 2 resumed, 1 failed, ETA 1m 05s');
    assert.equal(progressLine(progress({ models: 2, modelIndex: 1, done: 3 }), 0), 'tiny (2/2): 3/40 prompts, ETA …');
    assert.equal(fmtEta(42_400), '42s');
    assert.equal(incrementPerPrompt(progress({ models: 2 })), 100 / 80);
  });
});

describe('RpcConnection: study requests', () => {
  it('routes study progress to its request, and a cancel waits for the engine to answer with what is done', async () => {
    const sent: Msg[] = [];
    const conn = new RpcConnection({ send: (m) => void sent.push(m) });
    const seen: StudyProgress[] = [];
    const ac = new AbortController();
    const params = { models: ['/m'], loadOptions: {}, promptSetPath: '/s', options: {}, journalPath: null, version: 't' };
    const answer = conn.request(EngineStudy, params, { onStudyProgress: (p) => seen.push(p), signal: ac.signal, cancelWaits: true });
    const id = sent[0]!.id;
    conn.handleMessage({ id: 'e1', method: 'engine/didStudyProgress', params: { requestId: id, progress: progress({ done: 1, promptId: 'p1' }) } });
    conn.handleMessage({ id: 'e2', method: 'engine/didStudyProgress', params: { requestId: id, progress: { bogus: true } } });
    assert.deepEqual(seen.map((p) => p.done), [1]);
    ac.abort();
    assert.equal(sent[1]?.method, EngineCancel.method);
    assert.deepEqual(sent[1]?.params, { requestId: id });
    assert.equal(conn.pendingCount, 1, 'still waiting for the partial study');
    const partial = sampleStudy([{ name: 'a', layers: 2, records: [record({ index: 0, entropy: [0.5, 0.4, 0.6] })] }]);
    conn.handleMessage({ id: 'e3', method: 'engine/study/response', completionId: id, params: { ok: true, value: { ...partial, complete: false } } });
    const r = await answer;
    assert.equal(r.complete, false);
    assert.equal(r.models[0]!.prompts.length, 1);
  });
});

describe('export files', () => {
  const study = sampleStudy([{ name: 'a', layers: 2, records: [record({ index: 0, entropy: [0.8, 0.4, 0.7], valleyLayer: 1, valleyDepth: 0.3, spikeBlocks: [0] })] }]);

  it('study CSVs have the CLI headers and carry the study provenance beside them', () => {
    const prompts = studyCsvExport(study, 'prompts');
    assert.equal(prompts.name, 'study-prompts.csv');
    const [header, row] = (prompts.content as string).split('\n');
    assert.equal(header, 'model,prompt,source,tokens,truncated,valley,valleyLayer,valleyDepth,spikeBlocks,maxSinkRate,meanSinkMass,maxBosRatio');
    assert.equal(row, 'a,p1,set.jsonl:1,10,false,true,1,0.3,0,0.5,0.2,5');
    assert.equal(prompts.provenance, study.provenance);
    assert.match((studyCsvExport(study, 'layers').content as string).split('\n')[0]!, /^model,layer,relDepth,entropy_mean,entropy_q1,/);
    const json = studyJsonExport(study);
    assert.equal(json.provenance, null);
    assert.deepEqual(JSON.parse(json.content as string), study);
  });

  it('analysis CSV and JSON exports: headers, one row per layer, provenance with weights, tokenizer and settings', () => {
    const r = sampleResult({ layers: 4, texts: ['a', 'b'] });
    const layers = analysisCsvExport(r, 'layers', '1.2.3', 'ff00');
    const lines = (layers.content as string).trim().split('\n');
    assert.equal(lines[0], 'layer,bosNorm,medianOtherNorm,bosRatio,entropy,entropyRaw,entropyExclBos,anisotropy,anisotropyLowerBound,entropyUpperBound,sinkRate,mixing,massiveMaxAbs,massiveRelative,phase');
    assert.equal(lines.length, r.baseline.layers.length + 1);
    const p = layers.provenance as { sinklensVersion: string; model: { weights: { sha256: string }[] }; tokenizer: { sha256: string }; settings: unknown };
    assert.equal(p.sinklensVersion, '1.2.3');
    assert.deepEqual(p.model.weights.map((w) => w.sha256), r.model.files.map((f) => f.sha256));
    assert.equal(p.tokenizer.sha256, 'ff00');
    assert.deepEqual(p.settings, r.settings);
    assert.match((analysisCsvExport(r, 'tokens', 'v', null).content as string).split('\n')[0]!, /^index,id,text,start,end,special,sinkMass_h1,/);
    const j = JSON.parse(analysisJsonExport(r, 'v', null).content as string) as { provenance: { sinklensVersion: string }; tokens: unknown[] };
    assert.equal(j.provenance.sinklensVersion, 'v');
    assert.equal(j.tokens.length, r.tokens.length);
  });

  it('PNG exports accept only PNG data URLs', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]).toString('base64');
    const f = pngExport('c.png', `data:image/png;base64,${png}`, { v: 1 });
    assert.equal((f.content as Uint8Array)[1], 0x50);
    assert.throws(() => pngExport('c.png', 'data:image/jpeg;base64,AAAA', {}), /PNG data URL/);
    assert.throws(() => pngExport('c.png', `data:image/png;base64,${Buffer.from('hello world').toString('base64')}`, {}), /not a PNG/);
  });
});
