/**
 * The ONLY builder of webview HTML (panel and summary view). Security rules (style.md §3.2):
 * - CSP `default-src 'none'`; scripts only with this load's nonce; styles, images and fonts only
 *   from the extension (`webview.cspSource`); no inline styles, no inline scripts.
 * - No data is ever interpolated into the page: results travel by postMessage after the Ready
 *   handshake. The only values in the markup are our own resource URIs, the nonce and a fixed view name.
 * - `localResourceRoots` are `dist/` and `media/` of the extension, as `file:` URIs (never the
 *   webview URI of the extension root: microsoft/vscode#135361).
 *
 * Type-only imports of `vscode`, so this module loads (and is unit-tested) without VS Code.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

/** The part of `vscode.Webview` this module uses (a fake in tests). */
export interface WebviewLike<U = vscode.Uri> {
  readonly cspSource: string;
  asWebviewUri(uri: U): { toString(): string };
}

export type ViewKind = 'panel' | 'summary' | 'study';

/** Joins path segments onto a URI (`vscode.Uri.joinPath` in the extension, a fake in tests). */
export type JoinPath<U> = (base: U, ...segments: string[]) => U;

/** 128 bits from the OS RNG, base64 (valid in a CSP nonce source), new for every load. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Webview options shared by the panel and the summary view. */
export function webviewOptions<U>(extensionUri: U, join: JoinPath<U>): { enableScripts: true; localResourceRoots: U[] } {
  return { enableScripts: true, localResourceRoots: [join(extensionUri, 'dist'), join(extensionUri, 'media')] };
}

/** Escapes a value for a double-quoted HTML attribute (our own URIs only, but never trust a path). */
function attr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface HtmlOptions<U> {
  webview: WebviewLike<U>;
  extensionUri: U;
  join: JoinPath<U>;
  view: ViewKind;
  /** Injected in tests to check that it is used; a fresh random nonce otherwise. */
  nonce?: string;
}

export function renderWebviewHtml<U>(o: HtmlOptions<U>): { html: string; nonce: string } {
  const nonce = o.nonce ?? makeNonce();
  const uri = (...segs: string[]): string => attr(o.webview.asWebviewUri(o.join(o.extensionUri, ...segs)).toString());
  const title = o.view === 'summary' ? 'SinkLens summary' : o.view === 'study' ? 'SinkLens study' : 'SinkLens';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.webview.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('media', 'panel', 'panel.css')}">
<title>${title}</title>
</head>
<body data-view="${o.view}">
<script nonce="${attr(nonce)}" src="${uri('dist', 'webview.js')}"></script>
</body>
</html>`;
  return { html, nonce };
}
