/**
 * Workspace trust: a workspace's own settings must not be able to point SinkLens at model folders, download
 * endpoints or the token's destination until the user trusts it (package.json's restrictedConfigurations,
 * which VS Code applies in Restricted Mode), and the hub settings are user-level (application scope).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSettings } from '../../../src/extension/config';
import { PROJECT_ROOT } from '../../support/fixtures';

interface Prop {
  type?: string | string[];
  scope?: string;
  markdownDescription?: string;
  description?: string;
}
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[]; description?: string } };
  contributes: { configuration: { properties: Record<string, Prop> } | { properties: Record<string, Prop> }[] };
};
const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
const props: Record<string, Prop> = Object.assign({}, ...sections.map((s) => s.properties));

/** Settings that name a place to read models from, or a place to send requests (and the token) to. */
const SENSITIVE = /^sinklens\.(models|defaultModel|hub\.|cache\.dir|.*(path|folder|dir|endpoint|url))/i;

describe('workspace trust', () => {
  it('declares limited support in untrusted workspaces, with a description', () => {
    const u = pkg.capabilities?.untrustedWorkspaces;
    assert.equal(u?.supported, 'limited');
    assert.ok((u?.description ?? '').length > 40);
  });

  it('restricts every setting that names model folders, endpoints or paths', () => {
    const restricted = new Set(pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
    const sensitive = Object.keys(props).filter((k) => SENSITIVE.test(k));
    assert.ok(sensitive.includes('sinklens.hub.endpoint') && sensitive.includes('sinklens.models'));
    for (const k of sensitive) assert.ok(restricted.has(k), `${k} must be in restrictedConfigurations`);
    for (const k of restricted) assert.ok(k in props, `${k} is a contributed setting`);
  });

  it('keeps the hub endpoint and its http escape hatch user-level (application scope)', () => {
    assert.equal(props['sinklens.hub.endpoint']?.scope, 'application');
    assert.equal(props['sinklens.hub.allowInsecureHttp']?.scope, 'application');
    assert.equal(readSettings(() => undefined).settings.hubAllowInsecureHttp, false);
  });
});
