/**
 * Extension <-> webview protocol of the analysis panel and the compact summary view.
 *
 * Shape (style.md §2.3): the webview starts with a `PanelReady` request; the host queues every post
 * until it arrives and answers it with the complete state snapshot (the webview keeps no results
 * across reloads). Requests carry ids and are answered with `<method>/response` + `completionId`
 * and a `ResponsePayload` (errors as `{code, message}` data). Both sides run every incoming message
 * through `validatePanelMessage` before touching it.
 *
 * Trade-off: attention maps travel as plain `number[]` (JSON) in this version, one (block, head) at a
 * time, because typed arrays have not crossed the webview boundary reliably on every VS Code version
 * (style.md §2.3); at 512 tokens that is 262k numbers, about 3 MB of JSON per map.
 */
import type { Progress } from '../engineApi';
import { isErrorData, type ErrorData } from '../errors';
import type { AnalysisResult, AttentionMap, Intervention, PartialResult, SpectralLayerMetrics } from '../result';
import type { LogLevel } from '../log';
import { svgSpecProblem, type SvgChartSpec } from '../chartSvg';
import { Command, isMsg, Notification, Request, requestMethodOf, type Msg, type ResponsePayload } from './messages';
import { bool, checkAnalysisResult, checkAttentionMap, checkPartialResult, checkSpectralLayer, fields, int, interventionList, isObj, oneOf, reason, str, type Check } from './panelSchema';

/** UTF-16 range [start, end). */
export interface CharRange {
  start: number;
  end: number;
}

/** Where the analysed text came from: the document and the char offset of the text in it. */
export interface PanelSource {
  uri: string;
  offset: number;
}

export interface PanelSnapshot {
  result: AnalysisResult;
  source: PanelSource;
  /** A comparison (Compare with HEAD): the other run, drawn as the overlay, and the verdict (shared/compare.ts). */
  compare?: PanelCompare;
}

export interface PanelCompare {
  /** What the other run is, e.g. `HEAD`, `selected: a.prompt:3`, a model's name. */
  label: string;
  /**
   * The x axis both runs share: `layer` (h[l], the same model or the same depth) or `relative` (l/L, two
   * models of different depths, as a study aligns them). Absent means `layer`.
   */
  depth?: 'layer' | 'relative';
  /** One line, other run -> shown run: "valley moved h[5]→h[7], max sink rate −0.31, spike unchanged". */
  verdict: string;
  other: AnalysisResult;
}

export type PanelStatus =
  | { kind: 'idle' }
  | { kind: 'running'; progress: Progress }
  | { kind: 'error'; error: ErrorData };

/** Everything a freshly loaded webview needs: the host re-sends this after every reload. */
export interface PanelBootstrap {
  snapshot: PanelSnapshot | null;
  status: PanelStatus;
}

export type PanelView = 'panel' | 'summary';

// webview -> host
export const PanelReady = new Request<{ clientId: string; view: PanelView }, PanelBootstrap>('panel/ready');
/** Ask for one head's full T x T attention (block index, query head). */
export const GetAttention = new Request<{ block: number; head: number }, AttentionMap>('panel/getAttention');
/** Turn the ablation overlay on or off; on without an ablation in the snapshot asks the host to re-run. */
/**
 * Ask for the ablation overlay: on without an ablation in the snapshot asks the host to re-run with `ablate: 'auto'`;
 * with `interventions`, to re-run with those (unless the snapshot already has exactly them).
 */
export const SetAblation = new Request<{ on: boolean; interventions?: Intervention[] }, { rerun: boolean }>('panel/setAblation');
/** Ask for the logit lens: on without lens data in the snapshot asks the host to re-run with `logitLens: 'all'`. */
export const SetLogitLens = new Request<{ on: boolean }, { rerun: boolean }>('panel/setLogitLens');
/** Ask for the per-token loss: on without it in the snapshot asks the host to re-run with `tokenLoss: true`. */
export const SetTokenLoss = new Request<{ on: boolean }, { rerun: boolean }>('panel/setTokenLoss');
/** Highlight these ranges of the analysed text in its editor (relative to the analysed text). */
export const RevealTokens = new Command<{ ranges: CharRange[] }>('panel/revealTokens');
/** From the summary view: open (or focus) the full panel. */
export const OpenPanel = new Command<Record<string, never>>('panel/open');
/** Save one chart as PNG (`dataUrl` from chart.js's toBase64Image); the host asks where. */
export const SaveChartImage = new Command<{ name: string; dataUrl: string }>('panel/saveChartImage');
/** Save one chart as SVG: the drawn chart read into a spec (shared/chartSvg.ts); the host adds the provenance. */
export const SaveChartSvg = new Command<{ name: string; spec: SvgChartSpec }>('panel/saveChartSvg');
/** The levels a webview may log at (the host's Logger has these three). */
export const WEBVIEW_LOG_LEVELS = ['info', 'warn', 'error'] as const satisfies readonly LogLevel[];
export type WebviewLogLevel = (typeof WEBVIEW_LOG_LEVELS)[number];
/** A webview-side error worth logging (render failures, rejected messages). */
export const WebviewLog = new Command<{ level: WebviewLogLevel; message: string }>('panel/log');

// host -> webview
export const DidChangeSnapshot = new Notification<{ snapshot: PanelSnapshot | null }>('panel/didChangeSnapshot');
export const DidChangeStatus = new Notification<{ status: PanelStatus }>('panel/didChangeStatus');
/**
 * First paint of a running analysis: the forward's metrics (`partial`, once, right after the forward)
 * and then each layer's entropy figures (`layer`) as the spectra complete. `runId` ties the layers to
 * their partial: the webview ignores a layer whose run is not the one it is painting. The final
 * result (DidChangeSnapshot) replaces both.
 */
export const DidReceivePartial = new Notification<{ runId: number; partial: PartialResult | null; layer: SpectralLayerMetrics | null }>('panel/didReceivePartial');

export type PanelDirection = 'toHost' | 'toWebview';

interface Spec {
  direction: PanelDirection;
  params: Check;
  /** For requests: the check of a successful response value (responses travel the other way). */
  response?: Check;
}

const errorData: Check = (v) => (isErrorData(v) ? null : 'expected error data {code, message}');
const charRange = fields({ start: int, end: int });
const ranges: Check = (v) => {
  if (!Array.isArray(v)) return 'expected an array of ranges';
  if (v.length > 100_000) return 'too many ranges';
  for (const r of v) {
    const why = charRange(r) ?? ((r as CharRange).end < (r as CharRange).start ? 'end < start' : null);
    if (why !== null) return why;
  }
  return null;
};

const progress = fields({
  stage: oneOf('load', 'tokenize', 'run', 'ablate', 'metrics', 'done'),
  fraction: (v) => (v === undefined || (typeof v === 'number' && v >= 0 && v <= 1) ? null : 'expected 0..1'),
  message: (v) => (v === undefined || typeof v === 'string' ? null : 'expected a string'),
});

const status: Check = (v) => {
  if (!isObj(v)) return 'expected an object';
  if (v.kind === 'idle') return null;
  if (v.kind === 'running') return fields({ progress })(v);
  if (v.kind === 'error') return fields({ error: errorData })(v);
  return 'unknown status kind';
};

/** Checks a PanelSnapshot (or null) as the protocol carries it: also what a kept snapshot must pass before it is shown. */
export const checkSnapshot: Check = (v) => {
  if (v === null) return null;
  const compare: Check = (c) => (c === undefined ? null : fields({ label: str, verdict: str, other: checkAnalysisResult, depth: (d) => (d === undefined ? null : oneOf('layer', 'relative')(d)) })(c));
  return fields({ result: checkAnalysisResult, source: fields({ uri: str, offset: int }), compare })(v);
};

/** A PNG data URL (chart.js's toBase64Image), at most 32 MB. */
const pngDataUrl: Check = (v) =>
  typeof v === 'string' && v.startsWith('data:image/png;base64,') && v.length < 32 * 2 ** 20 ? null : 'expected a PNG data URL';

const SPECS: Record<string, Spec> = {
  [PanelReady.method]: {
    direction: 'toHost',
    params: fields({ clientId: str, view: oneOf('panel', 'summary') }),
    response: fields({ snapshot: checkSnapshot, status }),
  },
  [GetAttention.method]: { direction: 'toHost', params: fields({ block: int, head: int }), response: checkAttentionMap },
  [SetAblation.method]: { direction: 'toHost', params: fields({ on: bool, interventions: (v) => (v === undefined ? null : interventionList(v)) }), response: fields({ rerun: bool }) },
  [SetLogitLens.method]: { direction: 'toHost', params: fields({ on: bool }), response: fields({ rerun: bool }) },
  [SetTokenLoss.method]: { direction: 'toHost', params: fields({ on: bool }), response: fields({ rerun: bool }) },
  [RevealTokens.method]: { direction: 'toHost', params: fields({ ranges }) },
  [OpenPanel.method]: { direction: 'toHost', params: fields({}) },
  [SaveChartImage.method]: { direction: 'toHost', params: fields({ name: str, dataUrl: pngDataUrl }) },
  [SaveChartSvg.method]: { direction: 'toHost', params: fields({ name: str, spec: svgSpecProblem }) },
  [WebviewLog.method]: {
    direction: 'toHost',
    params: fields({ level: oneOf(...(WEBVIEW_LOG_LEVELS as readonly string[])), message: str }),
  },
  [DidChangeSnapshot.method]: { direction: 'toWebview', params: fields({ snapshot: checkSnapshot }) },
  [DidChangeStatus.method]: { direction: 'toWebview', params: fields({ status }) },
  [DidReceivePartial.method]: {
    direction: 'toWebview',
    params: (v) => {
      const why = fields({ runId: int, partial: (p) => (p === null ? null : checkPartialResult(p)), layer: (l) => (l === null ? null : checkSpectralLayer(l)) })(v);
      if (why !== null) return why;
      const p = v as { partial: unknown; layer: unknown };
      return (p.partial === null) === (p.layer === null) ? 'expected exactly one of partial, layer' : null;
    },
  },
};

export type Validated = { ok: true; msg: Msg } | { ok: false; error: ErrorData };

function bad(message: string): Validated {
  return { ok: false, error: { code: 'badRequest', message } };
}

function checkResponse(spec: Spec, params: unknown): string | null {
  if (!isObj(params) || typeof params.ok !== 'boolean') return 'expected a response payload {ok, value|error}';
  if (params.ok) return spec.response ? spec.response(params.value) : null;
  return errorData(params.error);
}

/**
 * Validates one incoming message. `direction` is the way the message travels: the host validates
 * with 'toHost' (webview requests and commands), the webview with 'toWebview' (notifications and
 * responses to its requests). Returns the message, or `badRequest` error data saying what is wrong.
 */
export function validatePanelMessage(v: unknown, direction?: PanelDirection): Validated {
  if (!isMsg(v)) return bad('not a message: expected {id, method, params}');
  const answered = requestMethodOf(v.method);
  const isResponse = answered !== undefined;
  const method = answered ?? v.method;
  const spec = Object.prototype.hasOwnProperty.call(SPECS, method) ? SPECS[method] : undefined;
  if (!spec || (isResponse && spec.response === undefined)) return bad(`unknown method ${v.method}`);
  // A response travels opposite to its request.
  const travels: PanelDirection = isResponse ? (spec.direction === 'toHost' ? 'toWebview' : 'toHost') : spec.direction;
  if (direction !== undefined && travels !== direction) return bad(`${v.method} is not accepted in this direction`);
  if (isResponse && typeof v.completionId !== 'string') return bad(`${v.method}: missing completionId`);
  const why = isResponse ? checkResponse(spec, v.params) : spec.params(v.params);
  return why === null ? { ok: true, msg: v } : bad(`${v.method}: ${reason(why)}`);
}

let counter = 0;
/** Message ids: a per-side prefix plus a counter (unique within one webview/host lifetime). */
export function nextMessageId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function makeMessage<P>(call: { method: string }, params: P, prefix: string): Msg<P> {
  return { id: nextMessageId(prefix), method: call.method, params };
}

export function makeResponse<R>(req: Request<unknown, R>, requestId: string, payload: ResponsePayload<R>, prefix: string): Msg<ResponsePayload<R>> {
  return { id: nextMessageId(prefix), method: req.responseMethod, params: payload, completionId: requestId };
}
