/**
 * Runs the real webview app (in happy-dom) against the real host channel, joined by a loopback
 * that JSON-clones every message like postMessage does. Nothing of the protocol is faked.
 */
import { Window } from 'happy-dom';
import type { Logger } from '../../../../src/extension/panel/panelChannel';
import { PanelChannel } from '../../../../src/extension/panel/panelChannel';
import { panelHandlers } from '../../../../src/extension/panel/panelHandlers';
import { PanelStore } from '../../../../src/extension/panel/panelStore';
import { DidChangeSnapshot, DidChangeStatus, DidReceivePartial, type CharRange } from '../../../../src/shared/protocol/panel';
import type { AnalysisResult, AttentionMap, Intervention } from '../../../../src/shared/result';
import { PanelApp } from '../../../../src/webview/app';
import { HostIpc } from '../../../../src/webview/ipc';

export const flush = async (n = 6): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

// VS Code serialises webview messages as JSON: clone the same way (drops undefined, no typed arrays).
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export interface HarnessOptions {
  store?: PanelStore;
  savedState?: unknown;
  ablated?: (interventions?: Intervention[]) => AnalysisResult | undefined;
  lensed?: () => AnalysisResult | undefined;
  /** The result of a re-run with the per-token loss (the loss button). */
  lossed?: () => AnalysisResult | undefined;
  attention?: (block: number, head: number) => Promise<AttentionMap>;
}

export function uniformAttention(block: number, head: number, T: number): AttentionMap {
  // Causal uniform attention: row q spreads 1/(q+1) over keys 0..q.
  const data = Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 1 / (Math.floor(i / T) + 1) : 0));
  return { block, head, tokens: T, data };
}

export function startPanel(o: HarnessOptions = {}) {
  const window = new Window({ url: 'https://webview.test/' });
  const doc = window.document as unknown as Document;
  doc.body.className = 'vscode-dark';
  const store = o.store ?? new PanelStore();
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
  const reveals: { ranges: CharRange[]; uri: string }[] = [];
  const attentionCalls: [number, number][] = [];
  const ablationCalls: boolean[] = [];
  const interventionCalls: (Intervention[] | undefined)[] = [];
  const lensCalls: boolean[] = [];
  const lossCalls: boolean[] = [];
  let opened = 0;
  let toHost: (m: unknown) => void = () => undefined;
  // Filled in below: the host side is built first and delivers to the webview through it.
  const wv: { ipc?: HostIpc } = {};
  const toWebview: unknown[] = [];
  const channel = new PanelChannel(
    {
      postMessage: async (m) => {
        toWebview.push(clone(m));
        queueMicrotask(() => wv.ipc?.receive(clone(m)));
        return true;
      },
      onDidReceiveMessage: (l) => {
        toHost = l;
        return { dispose: () => undefined };
      },
    },
    panelHandlers(
      store,
      {
        requestAttention: async (b, h) => {
          attentionCalls.push([b, h]);
          return o.attention ? o.attention(b, h) : uniformAttention(b, h, store.current()?.result.tokens.length ?? 0);
        },
        requestAblation: async (on, interventions) => {
          ablationCalls.push(on);
          interventionCalls.push(interventions);
          return o.ablated?.(interventions);
        },
        requestLogitLens: async (on) => {
          lensCalls.push(on);
          return o.lensed?.();
        },
        requestTokenLoss: async (on) => {
          lossCalls.push(on);
          return o.lossed?.();
        },
        revealTokens: (ranges, uri) => reveals.push({ ranges, uri }),
      },
      () => opened++,
    ),
    log,
  );
  store.onChange((what) => {
    const b = store.bootstrap();
    if (what === 'snapshot') channel.notifyState(DidChangeSnapshot, { snapshot: b.snapshot });
    else if (what === 'status') channel.notifyState(DidChangeStatus, { status: b.status });
    else {
      const u = store.lastPartial();
      if (u) channel.notifyState(DidReceivePartial, u);
    }
  });
  let saved: unknown = o.savedState;
  const toHostMsgs: unknown[] = [];
  const api = {
    postMessage: (m: unknown) => {
      toHostMsgs.push(clone(m));
      queueMicrotask(() => toHost(clone(m)));
    },
    getState: () => clone(saved),
    setState: (s: unknown) => {
      saved = clone(s);
    },
  };
  const ipc = new HostIpc(api, { addEventListener: () => undefined, removeEventListener: () => undefined }, 2_000);
  wv.ipc = ipc;
  const app = new PanelApp(doc, ipc, api);
  const started = app.start('test-client');
  const $ = (sel: string) => doc.querySelector(sel) as HTMLElement;
  const $$ = (sel: string) => Array.from(doc.querySelectorAll(sel)) as HTMLElement[];
  return {
    window,
    doc,
    store,
    channel,
    ipc,
    app,
    started,
    logs,
    reveals,
    attentionCalls,
    ablationCalls,
    interventionCalls,
    lensCalls,
    lossCalls,
    toHostMsgs,
    toWebview,
    opened: () => opened,
    saved: () => saved,
    $,
    $$,
  };
}
