/** `sinklens analyze --model file.gguf`, run as a real process: a GGUF model analyses; a GGUF it cannot read is one line, exit 1. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ggufBytes, meta } from '../../../tools/modelgen';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { writeGgufModel } from '../../support/ggufModel';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-cli-gguf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, env: { ...process.env, SINKLENS_MODEL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('sinklens CLI with GGUF files', () => {
  test('analyze --model model.gguf (Q8_0): the demo model keeps its spike', () => {
    const g = writeGgufModel(DEMO_MODEL_DIR, join(tmp, 'tiny-Q8_0.gguf'), { quant: 'Q8_0' });
    const r = cli(['analyze', '--model', g.path, '--text', 'Once upon a time, there was a little dog.']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\(llama, 6 blocks, .*Q8_0.*\)/);
    assert.match(r.out, /spike: block 1 -> h\[2\]/);
  });

  test('a GGUF of an unsupported architecture: exit 1, one line naming the supported ones', () => {
    const p = join(tmp, 'falcon.gguf');
    writeFileSync(p, ggufBytes({ 'general.architecture': meta.str('falcon') }, []));
    const r = cli(['analyze', '--model', p, '--text', 'hello']);
    assert.equal(r.code, 1);
    assert.match(r.err, /GGUF architecture "falcon".*Supported GGUF architectures: llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3\./);
  });
});
