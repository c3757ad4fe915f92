/**
 * One model listing for every front end: `sinklens models` (run as a process and through its
 * listing function) and the extension's Select Model list the same cache snapshots for the same
 * environment, with cache roots from HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME and XDG_CACHE_HOME.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { modelRows } from '../../../src/engine/cli/main';
import { loadConfig } from '../../../src/engine/model/config';
import { discoverModels } from '../../../src/engine/model/discover';
import { cachedHubModels, hubModelChoices } from '../../../src/extension/models/modelList';
import { PROJECT_ROOT } from '../../support/fixtures';
import { GPT2 } from '../arch/configs';

const root = mkdtempSync(join(tmpdir(), 'sinklens-disc-'));
after(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

/** A model folder: config.json + a (fake) weights file; listing never opens the weights. */
function modelAt(dir: string, config: object): string {
  put(join(dir, 'config.json'), JSON.stringify(config));
  put(join(dir, 'model.safetensors'), 'x');
  return dir;
}

const env = {
  HF_HUB_CACHE: join(root, 'hubcache'),
  HUGGINGFACE_HUB_CACHE: join(root, 'legacy'),
  HF_HOME: join(root, 'hfhome'),
  XDG_CACHE_HOME: join(root, 'xdg'),
};
const homeHub = join(env.HF_HOME, 'hub');
const xdgHub = join(env.XDG_CACHE_HOME, 'huggingface', 'hub');
// Two snapshots of gpt2, refs/main at the second: both are listed, the second with its ref.
modelAt(join(homeHub, 'models--openai-community--gpt2', 'snapshots', 'aaa111'), GPT2);
modelAt(join(homeHub, 'models--openai-community--gpt2', 'snapshots', 'bbb222'), GPT2);
put(join(homeHub, 'models--openai-community--gpt2', 'refs', 'main'), 'bbb222');
modelAt(join(env.HF_HUB_CACHE, 'models--org--llama-a', 'snapshots', 'ccc333'), { model_type: 'llama' });
modelAt(join(env.HUGGINGFACE_HUB_CACHE, 'models--org--qwen-b', 'snapshots', 'ddd444'), { model_type: 'qwen3' });
// Under XDG_CACHE_HOME only, and of an unsupported family: listed and flagged.
modelAt(join(xdgHub, 'models--google--t5-small', 'snapshots', 'eee555'), { model_type: 't5' });
// Not models: a dataset, a snapshot without config, one without weights, one with broken JSON.
modelAt(join(xdgHub, 'datasets--x--y', 'snapshots', 'f'), { model_type: 'llama' });
put(join(xdgHub, 'models--org--empty', 'snapshots', 'g', 'README.md'), 'x');
put(join(xdgHub, 'models--org--noweights', 'snapshots', 'h', 'config.json'), '{"model_type":"llama"}');
put(join(env.HF_HUB_CACHE, 'models--org--broken', 'snapshots', 'i', 'config.json'), '{ not json');
put(join(env.HF_HUB_CACHE, 'models--org--broken', 'snapshots', 'i', 'model.safetensors'), 'x');
// Configured folders: a parent of model folders and a model folder itself.
const extra = join(root, 'mine');
modelAt(join(extra, 'tiny-llama'), { model_type: 'llama' });
put(join(extra, 'broken', 'config.json'), '{ not json');
put(join(extra, 'notes', 'a.txt'), 'x');
const single = modelAt(join(root, 'single-model'), { model_type: 'qwen3' });

const CACHED = [
  ['org/llama-a', 'ccc333', 'llama', true],
  ['org/qwen-b', 'ddd444', 'qwen3', true],
  ['openai-community/gpt2', 'aaa111', 'gpt2', true],
  ['openai-community/gpt2', 'bbb222', 'gpt2', true],
  ['google/t5-small', 'eee555', 't5', false],
];

describe('discoverModels (sinklens models)', () => {
  it('lists configured folders, then every cache root in huggingface_hub precedence', () => {
    const found = discoverModels({ env, extraDirs: [extra, single, join(root, 'missing')] });
    assert.deepEqual(
      found.filter((m) => m.source === 'folder').map((m) => [m.name, m.modelType, m.supported]),
      [
        ['tiny-llama', 'llama', true],
        ['single-model', 'qwen3', true],
      ],
    );
    const cached = found.filter((m) => m.source === 'hf-cache');
    assert.deepEqual(cached.map((m) => [m.repoId, m.revision, m.modelType, m.supported]), CACHED);
    assert.deepEqual(cached[3]?.refs, ['main']);
    assert.equal(cached[3]?.dir, join(homeHub, 'models--openai-community--gpt2', 'snapshots', 'bbb222'));
  });

  it('a cache snapshot gets its repo id as display name', () => {
    assert.equal(loadConfig(join(homeHub, 'models--openai-community--gpt2', 'snapshots', 'bbb222')).name, 'openai-community/gpt2');
  });

  it('an empty or absent cache yields nothing', () => {
    const nowhere = join(root, 'nowhere');
    assert.deepEqual(discoverModels({ env: { HF_HUB_CACHE: nowhere, XDG_CACHE_HOME: nowhere }, home: nowhere }), []);
  });
});

describe('sinklens models and Select Model list the same models', () => {
  const selectModel = (e: Record<string, string>): string[] => hubModelChoices(cachedHubModels(e)).map((c) => c.detail);
  const cliRows = (e: Record<string, string>): string[] => modelRows(e, []).filter((r) => r.source === 'hf-cache').map((r) => r.dir);

  it('for the full environment and for each variable alone', () => {
    const envs = [env, ...Object.entries(env).map(([k, v]) => ({ [k]: v, XDG_CACHE_HOME: k === 'XDG_CACHE_HOME' ? v : join(root, 'nowhere') }))];
    for (const e of envs) {
      const listed = selectModel(e);
      assert.ok(listed.length > 0, `${JSON.stringify(e)} lists something`);
      assert.deepEqual(cliRows(e), listed, JSON.stringify(e));
    }
    assert.equal(selectModel(env).length, CACHED.length);
    assert.deepEqual(selectModel({ XDG_CACHE_HOME: env.XDG_CACHE_HOME }), [join(xdgHub, 'models--google--t5-small', 'snapshots', 'eee555')]);
  });

  it('the CLI process prints exactly the snapshots Select Model offers', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), 'models'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, TSX_TSCONFIG_PATH: 'tsconfig.test.json', ...env },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stdout.split('\n').filter((l) => / hf-cache /.test(l)).map((l) => l.slice(l.indexOf(' hf-cache ') + ' hf-cache '.length).trim());
    assert.deepEqual(printed, selectModel(env));
    assert.match(r.stdout, /^! google\/t5-small /m, 'an unsupported family is flagged');
  });
});
