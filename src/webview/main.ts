/**
 * Webview entry (bundled to dist/webview.js, iife). The same bundle serves the full panel and the
 * compact summary view; `<body data-view>` (set by the host's html.ts) says which.
 * Only the @vscode-elements components we use are imported, to keep the bundle small.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { PanelApp } from './app';
import { HostIpc, type VsCodeApiLike } from './ipc';
import { SummaryApp } from './summaryApp';

declare function acquireVsCodeApi(): VsCodeApiLike;

const api = acquireVsCodeApi();
const ipc = new HostIpc(api, window);
const clientId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const app = document.body.dataset.view === 'summary' ? new SummaryApp(document, ipc) : new PanelApp(document, ipc, api);

window.addEventListener('error', (e) => ipc.log('error', `webview: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => ipc.log('error', `webview: ${String((e as PromiseRejectionEvent).reason)}`));
app.start(clientId).catch((e: Error) => {
  const status = document.getElementById('sl-status');
  if (status) status.textContent = `error: ${e.message}`;
  ipc.log('error', `webview start failed: ${e.message}`);
});
