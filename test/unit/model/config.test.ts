import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { loadConfig } from '../../../src/engine/model/config';
import { PYTHIA_160M, TINYLLAMA } from '../arch/configs';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(files: Record<string, unknown>, name = 'my-model'): string {
  const root = mkdtempSync(join(tmpdir(), 'sinklens-cfg-'));
  dirs.push(root);
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [n, v] of Object.entries(files)) writeFileSync(join(dir, n), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

describe('loadConfig', () => {
  it('takes BOS/EOS from config.json when present', () => {
    const c = loadConfig(folder({ 'config.json': TINYLLAMA, 'generation_config.json': { bos_token_id: 7, eos_token_id: 8 } }));
    assert.deepEqual([c.bosTokenId, c.eosTokenId], [1, 2]);
    assert.equal(c.name, 'my-model');
  });

  it('falls back to generation_config.json (eos may be a list)', () => {
    const raw: Record<string, unknown> = { ...TINYLLAMA };
    delete raw['bos_token_id'];
    delete raw['eos_token_id'];
    const c = loadConfig(folder({ 'config.json': raw, 'generation_config.json': { bos_token_id: 5, eos_token_id: [9, 2] } }));
    assert.deepEqual([c.bosTokenId, c.eosTokenId], [5, 9]);
  });

  it('then to the special tokens of tokenizer_config.json, resolved through tokenizer.json', () => {
    const raw: Record<string, unknown> = { ...PYTHIA_160M, _name_or_path: 'EleutherAI/pythia-160m' };
    delete raw['bos_token_id'];
    delete raw['eos_token_id'];
    const c = loadConfig(
      folder({
        'config.json': raw,
        'tokenizer_config.json': { bos_token: '<|endoftext|>', eos_token: { content: '<|end|>', lstrip: false } },
        'tokenizer.json': { added_tokens: [{ id: 0, content: '<|endoftext|>', special: true }], model: { type: 'BPE', vocab: { '<|end|>': 3 } } },
      }),
    );
    assert.deepEqual([c.bosTokenId, c.eosTokenId], [0, 3]);
    assert.equal(c.name, 'EleutherAI/pythia-160m');
  });

  it('no BOS anywhere stays null', () => {
    const raw: Record<string, unknown> = { ...TINYLLAMA };
    delete raw['bos_token_id'];
    assert.equal(loadConfig(folder({ 'config.json': raw })).bosTokenId, null);
  });

  it('missing or broken config.json is badConfig', () => {
    assert.throws(() => loadConfig(folder({})), (e: unknown) => SinkLensError.is(e, 'badConfig') && e.message.includes('config.json'));
    assert.throws(() => loadConfig(folder({ 'config.json': '[1, 2]' })), (e: unknown) => SinkLensError.is(e, 'badConfig'));
  });
});
