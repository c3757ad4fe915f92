/**
 * Webview entry (bundled to dist/webview.js, iife). The same bundle serves the full panel and the
 * compact summary view and the study view; `<body data-view>` (set by the host's html.ts) says which.
 * Only the @vscode-elements components we use are imported, to keep the bundle small.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { PanelApp } from './app';
import { HostIpc, type VsCodeApiLike } from './ipc';
import { StudyApp } from './study/studyApp';
import { SummaryApp } from './summaryApp';

declare function acquireVsCodeApi(): VsCodeApiLike;

const api = acquireVsCodeApi();
const clientId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const view = document.body.dataset.view;
// The study view speaks its own small protocol (shared/protocol/study.ts), so it gets no panel HostIpc.
const ipc = new HostIpc(api, view === 'study' ? { addEventListener: () => undefined, removeEventListener: () => undefined } : window);
const app = view === 'study' ? new StudyApp(document, api, window) : view === 'summary' ? new SummaryApp(document, ipc) : new PanelApp(document, ipc, api);

window.addEventListener('error', (e) => ipc.log('error', `webview: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => ipc.log('error', `webview: ${String((e as PromiseRejectionEvent).reason)}`));
app.start(clientId).catch((e: Error) => {
  const status = document.getElementById('sl-status');
  if (status) status.textContent = `error: ${e.message}`;
  ipc.log('error', `webview start failed: ${e.message}`);
});
