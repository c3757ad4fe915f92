/**
 * The `sinklens` CLI, run as a real process (through tsx): the table, the JSON file, progress on
 * stderr, and one clear line with a non-zero exit for bad input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisResult } from '../../../src/shared/result';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), ...args], {
    input,
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
    env: { ...process.env, SINKLENS_MODEL: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('sinklens CLI', () => {
  test('analyze prints the per-layer table and writes the JSON', () => {
    const json = join(tmp, 'r.json');
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'Once upon a time, there was a little dog.', '--json', json, '--ablate', 'auto']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /layer\s+BOS ratio\s+entropy/);
    assert.match(r.out, /h\[6\]/);
    assert.match(r.out, /spike: block 1 -> h\[2\]/);
    assert.match(r.err, /run/, 'progress on stderr');
    const res = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    assert.equal(res.schemaVersion, 1);
    assert.equal(res.baseline.layers.length, 7);
    assert.equal(res.tokens[0]?.id, 1, 'BOS first');
    assert.deepEqual(res.ablation?.blocks, [1]);
  });

  test('reads the prompt from stdin and from --file', () => {
    const f = join(tmp, 'p.txt');
    writeFileSync(f, 'The dog ran to the park.');
    const a = cli(['analyze', '--model', DEMO_MODEL_DIR, '--file', f, '--json', '-', '--quiet']);
    const b = cli(['analyze', '--model', DEMO_MODEL_DIR, '--json', '-', '--quiet'], 'The dog ran to the park.');
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const ra = JSON.parse(a.out) as AnalysisResult;
    const rb = JSON.parse(b.out) as AnalysisResult;
    assert.deepEqual(ra.tokens.map((t) => t.id), rb.tokens.map((t) => t.id));
    assert.equal(ra.baseline.layers[2]?.bosRatio, rb.baseline.layers[2]?.bosRatio);
  });

  const bad: [string, string[], RegExp][] = [
    ['missing model folder', ['analyze', '--model', '/nonexistent/model', '--text', 'hi'], /not found|does not exist|no such/i],
    ['empty prompt', ['analyze', '--model', DEMO_MODEL_DIR, '--text', '   '], /empty/i],
    ['unknown option', ['analyze', '--modle', 'x'], /Unknown option --modle/],
    ['bad tau', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--tau', '7'], /tau/],
    ['bad ablate', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--ablate', 'x,y'], /--ablate/],
    ['unknown command', ['analyse'], /Unknown command/],
    ['bad weights', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--weights', 'int3'], /--weights takes auto, fp32, fp16, int8, int4 \(got 'int3'\)/],
    ['bad provider', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--execution-provider', 'tpu'], /--execution-provider takes auto, cpu/],
    ['strict unavailable provider', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--execution-provider', 'coreml', '--strict-provider'], /Execution provider coreml is unavailable/],
  ];
  for (const [what, args, re] of bad) {
    test(`bad input exits non-zero with one clear line: ${what}`, () => {
      const r = cli(args);
      assert.notEqual(r.code, 0);
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1, `one line, got: ${r.err}`);
    });
  }

  test('--weights, --threads and the provider reach the load: the header and the JSON carry them', () => {
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'The dog ran to the park.', '--weights', 'int8', '--threads', '1', '--json', join(tmp, 'q.json')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^SinkLens · .*\) · weights int8 · cpu · \d+ tokens/m);
    const res = JSON.parse(readFileSync(join(tmp, 'q.json'), 'utf8')) as AnalysisResult;
    assert.deepEqual(res.model.precision, { weights: 'int8', requested: 'int8', executionProvider: 'cpu', reason: null, providerNote: null });
    assert.equal(res.settings.threads, 1);
    assert.ok(res.settings.notes.some((n) => /Linear weights in int8/.test(n)), res.settings.notes.join('\n'));
    const auto = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'The dog ran.', '--no-table']);
    assert.match(auto.err, /weights auto → fp32: fp32 weights take/, 'auto says what it picked');
  });

  test('providers lists the binding\'s execution providers', () => {
    const r = cli(['providers']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^cpu\s+bundled$/m);
  });

  test('models lists the built-in model and folders given with --dir', () => {
    const r = cli(['models', '--dir', DEMO_MODEL_DIR]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /sinklens-tiny \(built-in\)/);
  });
});
