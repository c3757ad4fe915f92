import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DidChangeSnapshot,
  DidChangeStatus,
  GetAttention,
  OpenPanel,
  PanelReady,
  RevealTokens,
  SetAblation,
  SetLogitLens,
  validatePanelMessage,
  WebviewLog,
} from '../../../src/shared/protocol/panel';
import { sampleResult } from '../webview/support/sampleResult';

const msg = (method: string, params: unknown, extra: Record<string, unknown> = {}) => ({ id: 'm-1', method, params, ...extra });
const resp = (method: string, params: unknown) => msg(`${method}/response`, params, { completionId: 'r-1' });
const snapshot = () => ({ result: sampleResult(), source: { uri: 'file:///p.prompt', offset: 12 } });
const attention = (T = 3) => ({ block: 1, head: 2, tokens: T, data: Array.from({ length: T * T }, (_, i) => i / (T * T)) });

function accepts(m: unknown, dir?: 'toHost' | 'toWebview'): void {
  const v = validatePanelMessage(m, dir);
  assert.ok(v.ok, v.ok ? '' : v.error.message);
}

function rejects(m: unknown, dir: 'toHost' | 'toWebview' | undefined, why: RegExp): void {
  const v = validatePanelMessage(m, dir);
  assert.equal(v.ok, false, `accepted ${String(JSON.stringify(m)).slice(0, 200)}`);
  if (!v.ok) {
    assert.equal(v.error.code, 'badRequest');
    assert.match(v.error.message, why);
  }
}

describe('panel protocol: well-formed messages are accepted', () => {
  it('webview -> host requests and commands', () => {
    accepts(msg(PanelReady.method, { clientId: 'c', view: 'panel' }), 'toHost');
    accepts(msg(GetAttention.method, { block: 0, head: 3 }), 'toHost');
    accepts(msg(SetAblation.method, { on: true }), 'toHost');
    accepts(msg(RevealTokens.method, { ranges: [{ start: 0, end: 4 }, { start: 9, end: 9 }] }), 'toHost');
    accepts(msg(OpenPanel.method, {}), 'toHost');
    rejects(msg(OpenPanel.method, undefined), 'toHost', /expected an object/);
    accepts(msg(WebviewLog.method, { level: 'error', message: 'x' }), 'toHost');
  });

  it('host -> webview notifications and responses', () => {
    accepts(msg(DidChangeSnapshot.method, { snapshot: snapshot() }), 'toWebview');
    accepts(msg(DidChangeSnapshot.method, { snapshot: { result: sampleResult({ ablation: true }), source: { uri: '', offset: 0 } } }), 'toWebview');
    accepts(msg(DidChangeSnapshot.method, { snapshot: null }), 'toWebview');
    accepts(msg(DidChangeStatus.method, { status: { kind: 'idle' } }), 'toWebview');
    accepts(msg(DidChangeStatus.method, { status: { kind: 'running', progress: { stage: 'run', fraction: 0.5 } } }), 'toWebview');
    accepts(msg(DidChangeStatus.method, { status: { kind: 'error', error: { code: 'engineCrashed', message: 'gone' } } }), 'toWebview');
    accepts(resp(PanelReady.method, { ok: true, value: { snapshot: snapshot(), status: { kind: 'idle' } } }), 'toWebview');
    accepts(resp(GetAttention.method, { ok: true, value: attention() }), 'toWebview');
    accepts(resp(GetAttention.method, { ok: false, error: { code: 'cancelled', message: 'stop' } }), 'toWebview');
    accepts(resp(SetAblation.method, { ok: true, value: { rerun: false } }), 'toWebview');
  });

  it('survives a JSON round trip (what postMessage does)', () => {
    accepts(JSON.parse(JSON.stringify(msg(DidChangeSnapshot.method, { snapshot: snapshot() }))), 'toWebview');
  });
});

describe('panel protocol: the logit lens', () => {
  const lensSnapshot = (r = sampleResult({ lens: true })) => msg(DidChangeSnapshot.method, { snapshot: { result: r, source: { uri: '', offset: 0 } } });

  it('accepts SetLogitLens requests, their responses, and results with lens data', () => {
    accepts(msg(SetLogitLens.method, { on: true }), 'toHost');
    accepts(msg(SetLogitLens.method, { on: false }), 'toHost');
    accepts(resp(SetLogitLens.method, { ok: true, value: { rerun: true } }), 'toWebview');
    accepts(resp(SetLogitLens.method, { ok: false, error: { code: 'cancelled', message: 'stop' } }), 'toWebview');
    accepts(lensSnapshot(), 'toWebview');
    // A one-token prompt's NaN cross-entropy arrives as null after JSON.
    const r = sampleResult({ lens: true });
    (r.baseline.layers[2]?.logitLens as { crossEntropy: unknown }).crossEntropy = null;
    accepts(JSON.parse(JSON.stringify(lensSnapshot(r))), 'toWebview');
  });

  it('rejects malformed SetLogitLens messages and lens data', () => {
    rejects(msg(SetLogitLens.method, { on: 'yes' }), 'toHost', /on: expected a boolean/);
    rejects(msg(SetLogitLens.method, {}), 'toHost', /on: expected a boolean/);
    rejects(msg(SetLogitLens.method, { on: true }), 'toWebview', /not accepted in this direction/);
    rejects(resp(SetLogitLens.method, { ok: true, value: { rerun: 1 } }), 'toWebview', /rerun/);
    rejects(resp(SetLogitLens.method, { ok: true, value: { rerun: true } }), 'toHost', /not accepted in this direction/);
    const bad = (mutate: (lens: { top1: unknown[]; top1Text: unknown[]; crossEntropy: unknown }) => void, why: RegExp): void => {
      const r = sampleResult({ lens: true });
      mutate(r.baseline.layers[3]?.logitLens as { top1: unknown[]; top1Text: unknown[]; crossEntropy: unknown });
      rejects(lensSnapshot(r), 'toWebview', why);
    };
    bad((l) => (l.top1Text[1] = { html: '<b>' }), /layers\[3\]\.logitLens\.top1Text\[1\]: expected a string/);
    bad((l) => (l.top1[0] = '5'), /logitLens\.top1\[0\]/);
    bad((l) => (l.crossEntropy = 'low'), /logitLens\.crossEntropy/);
    bad((l) => l.top1.pop(), /logitLens has 5\/6 entries for 6 tokens/);
    bad((l) => l.top1Text.push('x'), /logitLens has 6\/7 entries for 6 tokens/);
  });
});

describe('panel protocol: malformed messages are rejected', () => {
  it('non-messages', () => {
    for (const v of [null, undefined, 42, 'panel/ready', [], {}, { id: 1, method: 'panel/ready', params: {} }, { id: 'a', method: 'panel/ready' }]) {
      rejects(v, undefined, /not a message/);
    }
  });

  it('unknown methods, responses to commands, prototype keys', () => {
    rejects(msg('panel/explode', {}), undefined, /unknown method/);
    rejects(msg('constructor', {}), undefined, /unknown method/);
    rejects(msg('__proto__', {}), undefined, /unknown method/);
    rejects(resp(RevealTokens.method, { ok: true, value: 1 }), undefined, /unknown method/);
    rejects(resp(DidChangeStatus.method, { ok: true, value: 1 }), undefined, /unknown method/);
  });

  it('the wrong direction', () => {
    rejects(msg(DidChangeSnapshot.method, { snapshot: null }), 'toHost', /direction/);
    rejects(msg(GetAttention.method, { block: 0, head: 0 }), 'toWebview', /direction/);
    rejects(resp(GetAttention.method, { ok: true, value: attention() }), 'toHost', /direction/);
  });

  it('bad request params', () => {
    rejects(msg(PanelReady.method, { clientId: 3, view: 'panel' }), 'toHost', /clientId: expected a string/);
    rejects(msg(PanelReady.method, { clientId: 'c', view: 'sidebar' }), 'toHost', /view: expected one of/);
    rejects(msg(GetAttention.method, { block: -1, head: 0 }), 'toHost', /block/);
    rejects(msg(GetAttention.method, { block: 1.5, head: 0 }), 'toHost', /block/);
    rejects(msg(GetAttention.method, { block: 0 }), 'toHost', /head/);
    rejects(msg(SetAblation.method, { on: 'yes' }), 'toHost', /on: expected a boolean/);
    accepts(msg(SetAblation.method, { on: true, interventions: [{ target: 'attn', blocks: [2, 3], position: 5, op: 'scale', factor: 0.5 }, { target: 'head', block: 1, head: 0, op: 'zero' }] }), 'toHost');
    rejects(msg(SetAblation.method, { on: true, interventions: [] }), 'toHost', /expected 1 to 16 interventions/);
    rejects(msg(SetAblation.method, { on: true, interventions: [{ target: 'mlp', blocks: [-1], position: 'bos', op: 'zero' }] }), 'toHost', /interventions\[0\]\.blocks\[0\]/);
    rejects(msg(RevealTokens.method, { ranges: 'all' }), 'toHost', /ranges/);
    rejects(msg(RevealTokens.method, { ranges: [{ start: 5, end: 2 }] }), 'toHost', /end < start/);
    rejects(msg(RevealTokens.method, { ranges: [{ start: '0', end: 2 }] }), 'toHost', /start/);
    rejects(msg(WebviewLog.method, { level: 'panic', message: 'x' }), 'toHost', /level/);
  });

  it('bad notifications', () => {
    rejects(msg(DidChangeStatus.method, { status: { kind: 'sleeping' } }), 'toWebview', /unknown status kind/);
    rejects(msg(DidChangeStatus.method, { status: { kind: 'running', progress: { stage: 'fly' } } }), 'toWebview', /stage/);
    rejects(msg(DidChangeStatus.method, { status: { kind: 'running', progress: { stage: 'run', fraction: 2 } } }), 'toWebview', /fraction/);
    rejects(msg(DidChangeStatus.method, { status: { kind: 'error', error: { message: 'no code' } } }), 'toWebview', /error/);
    rejects(msg(DidChangeSnapshot.method, {}), 'toWebview', /snapshot/);
    rejects(msg(DidChangeSnapshot.method, { snapshot: { result: sampleResult(), source: { uri: 'x', offset: -1 } } }), 'toWebview', /offset/);
  });

  it('malformed results, field by field', () => {
    const bad = (mutate: (r: ReturnType<typeof sampleResult>) => void, why: RegExp): void => {
      const r = sampleResult();
      mutate(r);
      rejects(msg(DidChangeSnapshot.method, { snapshot: { result: r, source: { uri: '', offset: 0 } } }), 'toWebview', why);
    };
    bad((r) => ((r as { schemaVersion: number }).schemaVersion = 1), /schemaVersion/);
    bad((r) => ((r.tokens[2] as { text: unknown }).text = { html: '<b>' }), /tokens\[2\]\.text: expected a string/);
    bad((r) => (r.tokens as unknown[]).push(null), /tokens\[6\]: expected an object/);
    bad((r) => ((r.baseline.layers[3] as { bosRatio: unknown }).bosRatio = '9'), /baseline\.layers\[3\]\.bosRatio/);
    bad((r) => ((r.baseline.layers[2] as { headSinkScores: unknown }).headSinkScores = [0.1, 'x']), /headSinkScores\[1\]/);
    bad((r) => (r.baseline.layers[1]?.tokenSinkMass as number[]).pop(), /tokenSinkMass has 5 entries for 6 tokens/);
    bad((r) => (r.baseline.layers[1]?.norms as number[]).push(1), /norms has 7 entries/);
    bad((r) => ((r.baseline.phases.bands[0] as { phase: string }).phase = 'sleep'), /phase/);
    bad((r) => ((r.baseline as { layers: unknown[] }).layers = []), /at least one layer/);
    bad((r) => ((r.model as { name: unknown }).name = undefined), /model\.name/);
    bad((r) => ((r as { ablation: unknown }).ablation = { blocks: [1] }), /ablation\.target/);
    bad((r) => ((r.warnings as unknown[]) = [{ code: 'x' }]), /warnings\[0\]\.message/);
    // Schema 2's readings: the bounded pair, chance, mixing, writers, band evidence, recurring-dim tests.
    bad((r) => delete (r.baseline.layers[2] as { bounded?: unknown }).bounded, /layers\[2\]\.bounded: expected an object/);
    bad((r) => ((r.baseline.layers[2] as { headsAtChance: unknown }).headsAtChance = [0.5]), /headsAtChance\[0\]/);
    bad((r) => ((r.baseline.layers[2] as { mixing: unknown }).mixing = 'high'), /layers\[2\]\.mixing/);
    bad((r) => ((r.baseline.layers[2]!.bosWrite as { mlpShare: unknown }).mlpShare = '0.9'), /bosWrite\.mlpShare/);
    bad((r) => ((r.baseline.phases.bands[1] as { evidence: unknown }).evidence = 'valley'), /bands\[1\]\.evidence/);
    bad((r) => ((r.baseline.phases.bands[1]!.strength as { bosRatio: unknown }).bosRatio = 'big'), /strength\.bosRatio/);
    bad((r) => ((r.baseline.recurringDims[0] as { test: unknown }).test = 'vibes'), /recurringDims\[0\]\.test/);
    bad((r) => ((r.baseline.spikeWriter as { component: unknown }).component = 'norm'), /spikeWriter\.component/);
    bad((r) => ((r.summary as { informative: unknown }).informative = 'no'), /summary\.informative/);
    bad((r) => ((r.settings as { ablateTarget: unknown }).ablateTarget = 'auto'), /settings\.ablateTarget/);
  });

  it('intervention results: loss per predicted position, top-k change, the interventions; older results without them', () => {
    const ok = (r: ReturnType<typeof sampleResult>) => accepts(msg(DidChangeSnapshot.method, { snapshot: { result: JSON.parse(JSON.stringify(r)) as unknown, source: { uri: '', offset: 0 } } }), 'toWebview');
    ok(sampleResult({ ablation: true, loss: true }));
    ok(sampleResult({ ablation: true }));
    const bad = (mutate: (r: ReturnType<typeof sampleResult>) => void, why: RegExp): void => {
      const r = sampleResult({ ablation: true, loss: true });
      mutate(r);
      rejects(msg(DidChangeSnapshot.method, { snapshot: { result: r, source: { uri: '', offset: 0 } } }), 'toWebview', why);
    };
    bad((r) => r.baseline.tokenLoss!.perPosition.push(1), /baseline\.tokenLoss: perPosition has 6 entries for 6 tokens \(expected 5\)/);
    bad((r) => r.ablation!.loss!.delta.pop(), /ablation\.loss: expected 5 entries per array for 6 tokens/);
    bad((r) => ((r.ablation!.loss as { meanDelta: unknown }).meanDelta = 'up'), /ablation\.loss\.meanDelta/);
    bad((r) => ((r.ablation!.topK as { top1Changed: unknown }).top1Changed = 'yes'), /ablation\.topK\.top1Changed/);
    bad((r) => ((r.ablation!.interventions![0] as { op: unknown }).op = 'melt'), /ablation\.interventions\[0\]\.op/);
    bad((r) => ((r.ablation!.interventions![1] as { head: unknown }).head = -1), /ablation\.interventions\[1\]\.head/);
    bad((r) => ((r.ablation!.interventions![0] as { position: unknown }).position = 'end'), /ablation\.interventions\[0\]\.position/);
  });

  it('accepts the nulls a NaN/Inf layer leaves after JSON (norms, ratios, entropies)', () => {
    const r = sampleResult();
    const l = r.baseline.layers[3]!;
    Object.assign(l, { norms: l.norms.map(() => NaN), bosNorm: NaN, medianOtherNorm: NaN, bosRatio: NaN, entropy: null, entropyExclBos: null, anisotropy: null });
    Object.assign(l, { bounded: { anisotropy: null, entropy: null }, anisotropyLowerBound: NaN, entropyUpperBound: null });
    l.massive = { ...l.massive, maxAbs: NaN, medianAbs: NaN, relative: NaN };
    const wire = JSON.parse(JSON.stringify(msg(DidChangeSnapshot.method, { snapshot: { result: r, source: { uri: '', offset: 0 } } })));
    assert.equal(wire.params.snapshot.result.baseline.layers[3].norms[0], null);
    accepts(wire, 'toWebview');
  });

  it('bad responses', () => {
    rejects(msg(`${GetAttention.method}/response`, { ok: true, value: attention() }), 'toWebview', /completionId/);
    rejects(resp(GetAttention.method, { value: attention() }), 'toWebview', /response payload/);
    rejects(resp(GetAttention.method, { ok: true, value: { ...attention(3), data: [1, 2] } }), 'toWebview', /tokens\^2 = 9/);
    rejects(resp(GetAttention.method, { ok: true, value: { ...attention(2), data: [1, 2, 'x', 4] } }), 'toWebview', /data\[2\]/);
    rejects(resp(GetAttention.method, { ok: false, error: 'boom' }), 'toWebview', /error data/);
    rejects(resp(PanelReady.method, { ok: true, value: { snapshot: null } }), 'toWebview', /status/);
    rejects(resp(SetAblation.method, { ok: true, value: {} }), 'toWebview', /rerun/);
  });
});
