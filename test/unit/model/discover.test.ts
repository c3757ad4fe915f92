import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverModels } from '../../../src/engine/model/discover';
import { loadConfig } from '../../../src/engine/model/config';
import { GPT2 } from '../arch/configs';

const root = mkdtempSync(join(tmpdir(), 'sinklens-disc-'));
after(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

describe('discoverModels', () => {
  const hfHome = join(root, 'hf');
  const hub = join(hfHome, 'hub');
  // Two snapshots, refs/main pointing at the second: only that one is listed.
  put(join(hub, 'models--openai-community--gpt2', 'snapshots', 'aaa111', 'config.json'), JSON.stringify(GPT2));
  put(join(hub, 'models--openai-community--gpt2', 'snapshots', 'bbb222', 'config.json'), JSON.stringify(GPT2));
  put(join(hub, 'models--openai-community--gpt2', 'refs', 'main'), 'bbb222\n');
  // No refs: every snapshot; an unsupported architecture is listed but flagged.
  put(join(hub, 'models--google--t5-small', 'snapshots', 'ccc333', 'config.json'), JSON.stringify({ model_type: 't5' }));
  // Not a model repo / no config: ignored.
  put(join(hub, 'datasets--x--y', 'snapshots', 'd', 'config.json'), '{}');
  put(join(hub, 'models--org--empty', 'snapshots', 'e', 'README.md'), 'x');
  // Configured folders: a parent of model folders and a model folder itself.
  const extra = join(root, 'mine');
  put(join(extra, 'tiny-llama', 'config.json'), JSON.stringify({ model_type: 'llama' }));
  put(join(extra, 'broken', 'config.json'), '{ not json');
  put(join(extra, 'notes', 'a.txt'), 'x');
  const single = join(root, 'single-model');
  put(join(single, 'config.json'), JSON.stringify({ model_type: 'qwen3' }));

  it('lists HF cache snapshots and configured folders', async () => {
    const found = await discoverModels({ hfHome, extraDirs: [extra, single, join(root, 'missing')] });
    const rows = found.map((m) => [m.name, m.source, m.repoId ?? null, m.revision ?? null, m.modelType ?? null, m.supported]);
    assert.deepEqual(rows, [
      ['broken', 'folder', null, null, null, false],
      ['tiny-llama', 'folder', null, null, 'llama', true],
      ['single-model', 'folder', null, null, 'qwen3', true],
      ['google/t5-small', 'hf-cache', 'google/t5-small', 'ccc333', 't5', false],
      ['openai-community/gpt2', 'hf-cache', 'openai-community/gpt2', 'bbb222', 'gpt2', true],
    ]);
    assert.equal(found[4]?.dir, join(hub, 'models--openai-community--gpt2', 'snapshots', 'bbb222'));
  });

  it('a cache snapshot gets its repo id as display name', () => {
    const dir = join(hub, 'models--openai-community--gpt2', 'snapshots', 'bbb222');
    assert.equal(loadConfig(dir).name, 'openai-community/gpt2');
  });

  it('an empty or absent cache yields nothing', async () => {
    assert.deepEqual(await discoverModels({ hfHome: join(root, 'nowhere') }), []);
  });
});
