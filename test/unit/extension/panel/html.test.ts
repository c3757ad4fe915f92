import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, makeNonce, renderWebviewHtml, webviewOptions } from '../../../../src/extension/panel/html';

/** Stand-ins for vscode.Uri / Webview: URIs are plain strings here. */
const join = (base: string, ...segs: string[]): string => [base, ...segs].join('/');
const webview = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', asWebviewUri: (u: string) => `https://file+.vscode-resource.vscode-cdn.net${u.replace('file://', '')}` };
const EXT = 'file:///ext/sinklens';

function cspOf(html: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'no CSP meta tag');
  const content = (m[1] as string).replace(/&#39;|&apos;/g, "'");
  return new Map(content.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k as string, v]));
}

describe('webview html (the only HTML builder)', () => {
  it('sets a strict CSP: default none, scripts only by nonce, styles/images/fonts only from the extension', () => {
    const { html, nonce } = renderWebviewHtml({ webview, extensionUri: EXT, join, view: 'panel' });
    const csp = cspOf(html);
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
    assert.deepEqual(csp.get('style-src'), [webview.cspSource]);
    assert.deepEqual(csp.get('img-src'), [webview.cspSource, 'data:']);
    assert.deepEqual(csp.get('font-src'), [webview.cspSource]);
    assert.equal(csp.size, 5);
    for (const [, values] of csp) assert.ok(!values.some((v) => /unsafe-(inline|eval)|\*/.test(v)), 'no unsafe sources or wildcards');
  });

  it('loads exactly one script, from dist/webview.js, carrying the nonce, and no inline script or style', () => {
    const { html, nonce } = renderWebviewHtml({ webview, extensionUri: EXT, join, view: 'summary' });
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0]?.[2], '', 'inline script body');
    assert.match(scripts[0]?.[1] ?? '', new RegExp(`nonce="${nonce.replace(/[+/]/g, (c) => `\\${c}`)}"`));
    assert.match(scripts[0]?.[1] ?? '', /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/sinklens\/dist\/webview\.js"/);
    assert.ok(!/<style\b/.test(html) && !/\sstyle=/.test(html), 'inline style');
    assert.match(html, /<link rel="stylesheet" href="[^"]+\/ext\/sinklens\/media\/panel\/panel\.css">/);
    assert.match(html, /<body data-view="summary">/);
  });

  it('uses a fresh 128-bit nonce per load', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const n = renderWebviewHtml({ webview, extensionUri: EXT, join, view: 'panel' }).nonce;
      assert.equal(Buffer.from(n, 'base64').length, 16);
      seen.add(n);
    }
    assert.equal(seen.size, 50);
    assert.notEqual(makeNonce(), makeNonce());
  });

  it('injects the given nonce in both the CSP and the script tag', () => {
    const { html } = renderWebviewHtml({ webview, extensionUri: EXT, join, view: 'panel', nonce: 'TESTNONCE' });
    assert.equal(html.split('TESTNONCE').length - 1, 2);
    assert.equal(contentSecurityPolicy('S', 'N'), "default-src 'none'; script-src 'nonce-N'; style-src S; img-src S data:; font-src S");
  });

  it('escapes resource URIs into attributes', () => {
    const evil = { cspSource: 'x', asWebviewUri: () => '"><script>alert(1)</script>' };
    const { html } = renderWebviewHtml({ webview: evil, extensionUri: EXT, join, view: 'panel' });
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(html.includes('&quot;&gt;&lt;script&gt;'));
  });

  it('limits local resource roots to dist/ and media/ of the extension (file URIs, never asWebviewUri)', () => {
    const o = webviewOptions(EXT, join);
    assert.equal(o.enableScripts, true);
    assert.deepEqual(o.localResourceRoots, ['file:///ext/sinklens/dist', 'file:///ext/sinklens/media']);
  });
});
