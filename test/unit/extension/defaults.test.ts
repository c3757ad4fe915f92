import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, readSettings } from '../../../src/extension/config';
import { DEFAULT_ANALYZE_OPTIONS, SETTING_DEFAULTS } from '../../../src/shared/defaults';

interface Contributed {
  default?: unknown;
}

/** `contributes.configuration` of package.json, by key under `sinklens.` (an object or a list of sections). */
function contributedSettings(): Map<string, Contributed> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: unknown } };
  const cfg = pkg.contributes.configuration;
  const sections = (Array.isArray(cfg) ? cfg : [cfg]) as { properties: Record<string, Contributed> }[];
  const out = new Map<string, Contributed>();
  for (const s of sections) {
    for (const [key, prop] of Object.entries(s.properties)) {
      assert.ok(key.startsWith('sinklens.'), `${key} is not under sinklens.`);
      out.set(key.slice('sinklens.'.length), prop);
    }
  }
  return out;
}

describe('defaults', () => {
  it("package.json's contributed defaults are the defaults module's, setting by setting", () => {
    const contributed = contributedSettings();
    assert.ok(contributed.size >= 17, `only ${contributed.size} settings found`);
    const known = SETTING_DEFAULTS as Record<string, unknown>;
    for (const [key, prop] of contributed) {
      if (!('default' in prop)) continue;
      assert.ok(Object.prototype.hasOwnProperty.call(known, key), `sinklens.${key} has a default in package.json that src/shared/defaults.ts lacks`);
      assert.deepEqual(prop.default, known[key], `sinklens.${key}: package.json says ${JSON.stringify(prop.default)}, defaults.ts says ${JSON.stringify(known[key])}`);
    }
    for (const key of Object.keys(known)) {
      assert.ok(contributed.get(key)?.default !== undefined, `SETTING_DEFAULTS has sinklens.${key}, which package.json does not contribute with a default`);
    }
  });

  it('unset settings read as the defaults, and those become the engine defaults', () => {
    const { settings, problems } = readSettings(() => undefined);
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.equal(settings.sinkThreshold, DEFAULT_ANALYZE_OPTIONS.tau);
    assert.equal(settings.maxTokens, DEFAULT_ANALYZE_OPTIONS.maxTokens);
    assert.equal(settings.prependBos, DEFAULT_ANALYZE_OPTIONS.prependBos);
    assert.equal(settings.chatTemplate, DEFAULT_ANALYZE_OPTIONS.chatTemplate);
    assert.deepEqual(settings.entropy, DEFAULT_ANALYZE_OPTIONS.entropy);
  });
});
