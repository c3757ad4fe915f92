import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, ENGINE_RELOAD_KEYS, analyzeOptions, loadOptions, readSettings } from '../../../src/extension/config';

const getter = (o: Record<string, unknown>) => (k: string) => o[k];

describe('settings', () => {
  it('unset settings take the documented defaults with no problems', () => {
    const { settings, problems } = readSettings(getter({}));
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.equal(settings.sinkThreshold, 0.3);
    assert.equal(settings.maxTokens, 'auto');
    assert.equal(analyzeOptions(settings).maxTokens, 'auto');
    assert.deepEqual(settings.promptFiles, ['**/*.prompt', '**/*.prompty', '**/*.prompt.md', '**/prompts/**/*.{md,txt}']);
  });

  it('valid values are used as given', () => {
    const { settings, problems } = readSettings(
      getter({
        sinkThreshold: 0.5, maxTokens: 64, prependBos: 'never', 'entropy.alpha': 2, 'entropy.excludeBos': true, threads: 4,
        'hub.endpoint': 'http://127.0.0.1:8080/', live: true, decorations: false, 'codeLens.enabled': false, defaultModel: ' tiny ',
        promptFiles: ['**/*.txt'], chatTemplate: 'user',
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(settings.sinkThreshold, 0.5);
    assert.equal(settings.maxTokens, 64);
    assert.equal(settings.prependBos, 'never');
    assert.equal(settings.chatTemplate, 'user');
    assert.equal(analyzeOptions(settings).chatTemplate, 'user');
    assert.deepEqual(settings.entropy, { alpha: 2, excludeBos: true, center: false, rowNormalize: false });
    assert.equal(settings.threads, 4);
    assert.equal(settings.hubEndpoint, 'http://127.0.0.1:8080');
    assert.equal(settings.defaultModel, 'tiny');
    assert.deepEqual([settings.live, settings.decorations, settings.codeLensEnabled], [true, false, false]);
    assert.equal(readSettings(getter({})).settings.preloadModel, true, 'preload is on by default');
    assert.equal(readSettings(getter({ preloadModel: false })).settings.preloadModel, false);
    assert.deepEqual(settings.promptFiles, ['**/*.txt']);
  });

  it("maxTokens takes 'auto' or a whole number; another string is a problem", () => {
    assert.equal(readSettings(getter({ maxTokens: 'auto' })).settings.maxTokens, 'auto');
    assert.equal(readSettings(getter({ maxTokens: 4096 })).settings.maxTokens, 4096);
    const bad = readSettings(getter({ maxTokens: 'lots' }));
    assert.equal(bad.settings.maxTokens, 'auto');
    assert.match(bad.problems[0] as string, /sinklens\.maxTokens must be 'auto' or a number; using "auto"/);
  });

  it('invalid values fall back to defaults with a message naming the setting', () => {
    const { settings, problems } = readSettings(
      getter({
        sinkThreshold: 1.5, maxTokens: 10.5, prependBos: 'sometimes', 'entropy.alpha': 0, threads: 'many', 'hub.endpoint': 'ftp://x',
        live: 'yes', promptFiles: ['ok', ''], chatTemplate: 'assistant',
      }),
    );
    assert.equal(settings.sinkThreshold, 0.3);
    assert.equal(settings.maxTokens, 'auto');
    assert.equal(settings.prependBos, 'auto');
    assert.equal(settings.chatTemplate, 'none');
    assert.equal(settings.entropy.alpha, 1);
    assert.equal(settings.threads, 0);
    assert.equal(settings.hubEndpoint, 'https://huggingface.co');
    assert.equal(settings.live, false);
    assert.deepEqual(settings.promptFiles, DEFAULT_SETTINGS.promptFiles);
    const keys = problems.map((p) => /sinklens\.([\w.]+)/.exec(p)?.[1]);
    assert.deepEqual(keys, ['promptFiles', 'sinkThreshold', 'maxTokens', 'prependBos', 'chatTemplate', 'entropy.alpha', 'threads', 'hub.endpoint', 'live']);
    assert.match(problems[1] as string, /at most 1 \(got 1\.5\); using 0\.3/);
    assert.match(problems[2] as string, /whole number/);
    assert.match(problems[3] as string, /one of auto, always, never/);
    assert.match(problems[4] as string, /one of none, user, system \(got "assistant"\)/);
  });

  it('weights and executionProvider are load options that reload the model; bad values fall back with a message', () => {
    const ok = readSettings(getter({ weights: 'int4', executionProvider: 'cuda', threads: 2 }));
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(loadOptions(ok.settings), { threads: 2, weights: 'int4', executionProvider: 'cuda' });
    assert.deepEqual(loadOptions(DEFAULT_SETTINGS), { threads: 0, weights: 'auto', executionProvider: 'cpu' });
    const bad = readSettings(getter({ weights: 'int3', executionProvider: 'tpu' }));
    assert.deepEqual([bad.settings.weights, bad.settings.executionProvider], ['auto', 'cpu']);
    assert.match(bad.problems[0] as string, /sinklens\.weights must be one of auto, fp32, fp16, int8, int4 \(got "int3"\)/);
    assert.match(bad.problems[1] as string, /sinklens\.executionProvider must be one of auto, cpu, cuda/);
    for (const k of ['sinklens.threads', 'sinklens.weights', 'sinklens.executionProvider']) assert.ok(ENGINE_RELOAD_KEYS.includes(k), k);
  });

  it('models: local and hub entries are typed, bad entries dropped with reasons', () => {
    const { settings, problems } = readSettings(
      getter({
        models: [
          { name: 'local', path: '/models/a' },
          { name: 'hub', repo: 'org/model' },
          { repo: 'org/other', revision: 'v1' },
          { name: 'both', path: '/x', repo: 'a/b' },
          { name: 'badrepo', repo: 'not a repo' },
          { name: 'local', path: '/dup' },
          42,
          { name: 'none' },
        ],
      }),
    );
    assert.deepEqual(settings.models, [
      { name: 'local', path: '/models/a' },
      { name: 'hub', repo: 'org/model', revision: 'main' },
      { name: 'org/other', repo: 'org/other', revision: 'v1' },
    ]);
    assert.equal(problems.length, 5);
    assert.match(problems[0] as string, /models\[3\] has both/);
    assert.match(problems[2] as string, /models\[5\] repeats the name "local"/);
  });

  it('maps settings to engine analyze options', () => {
    const { settings } = readSettings(getter({ sinkThreshold: 0.4, maxTokens: 100, 'entropy.center': true }));
    assert.deepEqual(analyzeOptions(settings), {
      prependBos: 'auto',
      chatTemplate: 'none',
      maxTokens: 100,
      tau: 0.4,
      entropy: { alpha: 1, excludeBos: false, center: true, rowNormalize: false },
      ablate: null,
    });
    assert.equal(analyzeOptions(settings, 'auto').ablate, 'auto');
  });

  it('sinklens.tokenLoss: off by default (no key: the engine computes the loss only with a compared run), on asks for it', () => {
    assert.equal(DEFAULT_SETTINGS.tokenLoss, false);
    const off = readSettings(getter({}));
    assert.equal('tokenLoss' in analyzeOptions(off.settings), false);
    assert.equal('tokenLoss' in analyzeOptions(off.settings, 'auto'), false);
    const on = readSettings(getter({ tokenLoss: true }));
    assert.deepEqual(on.problems, []);
    assert.equal(analyzeOptions(on.settings).tokenLoss, true);
    assert.equal(readSettings(getter({ tokenLoss: 'yes' })).settings.tokenLoss, false);
    // A per-request override (the panel's "Compute per-token loss") wins over the setting either way.
    assert.equal(analyzeOptions(off.settings, null, undefined, null, true).tokenLoss, true);
    assert.equal('tokenLoss' in analyzeOptions(on.settings, null, undefined, null, false), false);
  });

  it('sinklens.logitLens: off by default (no lens key, so lens-less cache keys are unchanged), on asks for every layer', () => {
    assert.equal(DEFAULT_SETTINGS.logitLens, false);
    const off = readSettings(getter({}));
    assert.equal(off.settings.logitLens, false);
    assert.equal('logitLens' in analyzeOptions(off.settings), false);
    const on = readSettings(getter({ logitLens: true }));
    assert.deepEqual(on.problems, []);
    assert.equal(analyzeOptions(on.settings).logitLens, 'all');
    assert.equal(analyzeOptions(on.settings, 'auto').logitLens, 'all');
    // A per-request override (the panel's re-run) wins over the setting either way.
    assert.equal(analyzeOptions(off.settings, null, true).logitLens, 'all');
    assert.equal('logitLens' in analyzeOptions(on.settings, null, false), false);
    const bad = readSettings(getter({ logitLens: 'yes' }));
    assert.equal(bad.settings.logitLens, false);
    assert.match(bad.problems[0] as string, /sinklens\.logitLens must be true or false/);
  });
});
