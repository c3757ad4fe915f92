/**
 * The `sinklens` CLI, run as a real process (through tsx): the table, the JSON file, progress on
 * stderr, and one clear line with a non-zero exit for bad input.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisResult } from '../../../src/shared/result';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { generateModel, samplePrompt } from '../../support/genModel';
import { writeGgufModel } from '../../support/ggufModel';

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
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'Once upon a time, there was a little dog. He liked to run in the park with his friends.', '--json', json, '--ablate', 'auto']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /layer\s+BOS ratio\s+entropy\s+≤ bound\s+p1\s+≥ bound\s+sink rate\s+mixing\s+BOS writer\s+phase/);
    assert.match(r.out, /h\[6\]/);
    assert.match(r.out, /spike: block 1 -> h\[2\] · written by the MLP of block 1/);
    assert.match(r.out, /valley: Compress h\[2\]–h\[\d\] \(BOS spike\)/);
    assert.match(r.err, /run/, 'progress on stderr');
    const res = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    assert.equal(res.schemaVersion, 2);
    // settings.notes under the table, one line each.
    const noteLines = r.out.split('\n').filter((l) => l.startsWith('note: '));
    assert.deepEqual(noteLines, res.settings.notes.map((n) => `note: ${n}`));
    assert.ok(noteLines.some((l) => /r in the entropy bound = min\(T, d\)/.test(l)));
    assert.equal(res.settings.ablateTarget, 'mlp', 'auto: the MLP writes the demo model\'s spike');
    assert.equal(res.baseline.layers.length, 7);
    assert.equal(res.tokens[0]?.id, 1, 'BOS first');
    assert.deepEqual(res.ablation?.blocks, [1]);
  });

  test('the per-token loss: off for a plain analysis, on with --loss, on with --ablate unless --no-loss', () => {
    const loss = (extra: string[]) => {
      const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'The dog ran to the park.', '--json', '-', '--quiet', ...extra]);
      assert.equal(r.code, 0, r.err);
      return (JSON.parse(r.out) as AnalysisResult).baseline.tokenLoss;
    };
    assert.equal(loss([]), null);
    const on = loss(['--loss']);
    assert.ok(on && on.perPosition.length > 1 && typeof on.mean === 'number');
    assert.deepEqual(loss(['--ablate', '1']), on);
    assert.equal(loss(['--ablate', '1', '--no-loss']), null);
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

  test('reads stdin from a Node parent\'s pipe that is still empty when the CLI starts', async () => {
    // spawn's 'pipe' is a non-blocking socket: a synchronous read of fd 0 failed there with EAGAIN.
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), 'analyze', '--model', DEMO_MODEL_DIR, '--json', '-', '--quiet'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SINKLENS_MODEL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    setTimeout(() => {
      child.stdin.write('The dog ran ');
      setTimeout(() => child.stdin.end('to the park.'), 200);
    }, 1500);
    assert.equal(await exited, 0, err);
    const r = JSON.parse(out) as AnalysisResult;
    // The BOS token first, then the prompt as written in two pieces.
    assert.equal(r.tokens.map((t) => t.text).join(''), '<s>The dog ran to the park.');
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
    ['--loss with --no-loss', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--loss', '--no-loss'], /--loss and --no-loss contradict each other/],
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

  // Usage errors (the flags themselves are wrong) exit 2; input and model errors exit 1.
  const exits: [string, string[], number, RegExp][] = [
    ['--max-tokens 0', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--max-tokens', '0'], 2, /--max-tokens must be 'auto' or a positive integer/],
    ['--max-tokens lots', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--max-tokens', 'lots'], 2, /--max-tokens/],
    ['--max-tokens -1', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--max-tokens', '-1'], 2, /--max-tokens/],
    ['--tau 7', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--tau', '7'], 2, /tau/],
    ['--ablate past the last block', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi there', '--ablate', '9'], 2, /--ablate 9: the model has blocks 0\.\.5/],
    ['--logit-lens past h[L]', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi there', '--logit-lens', '0,7'], 2, /h\[0\]\.\.h\[6\]/],
    ['--attention out of range', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi there', '--attention', '6,0'], 2, /blocks 0\.\.5/],
    ['--attention malformed', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--attention', '2'], 2, /BLOCK,HEAD/],
    ['missing model folder', ['analyze', '--model', '/nonexistent/model', '--text', 'hi'], 1, /./],
    ['empty prompt', ['analyze', '--model', DEMO_MODEL_DIR, '--text', '  '], 1, /empty/],
  ];
  for (const [what, args, code, re] of exits) {
    test(`exit code ${code}: ${what}`, () => {
      const r = cli(args);
      assert.equal(r.code, code, r.err);
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1, `one line, got: ${r.err}`);
    });
  }

  test('--logit-lens prints a per-layer table; --attention labels rows and columns with the tokens', () => {
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'Once upon a time, there was a dog.', '--logit-lens', 'all', '--attention', '2,1', '--quiet']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /logit lens: mean next-token cross-entropy/);
    const lensRows = r.out.split('\n').filter((l) => /^h\[\d\]\s+\d+\.\d{3}\s+"/.test(l));
    assert.equal(lensRows.length, 7, 'one lens row per hidden state h[0..6]');
    assert.match(r.out, /attention of block 2 \(writes h\[3\]\), head 1/);
    assert.match(r.out, /^\s+0 "<s>"\s+1\.00\s*$/m, 'the first query row is labelled with BOS and attends only to itself');
    assert.match(r.out, /≤ bound/);
    assert.match(r.out, /≥ bound/);
    assert.doesNotMatch(r.out, /^note: /m, '--quiet hides the notes');
  });

  test('--json - delivers a >1 MB result whole through a pipe to a slow reader, and exits 0 after it drained', () => {
    const dir = join(tmp, 'deep');
    // 24 blocks, 1024 positions: per-token and per-layer arrays (plus the logit lens and an ablated run) make > 1 MB of JSON.
    const model = generateModel(dir, { name: 'deep', family: 'llama', hidden: 32, layers: 24, heads: 4, kvHeads: 2, intermediate: 64, vocab: 80, maxPositions: 1024, seed: 5 });
    const prompt = join(tmp, 'long.txt');
    writeFileSync(prompt, samplePrompt(model, 700));
    const out = join(tmp, 'piped.json');
    const cmd = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), 'analyze', '--model', dir, '--file', prompt, '--max-tokens', '1000', '--logit-lens', 'all', '--ablate', '0', '--json', '-', '--quiet']
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    // The reader waits 1.5 s before reading: the writer fills the pipe buffer and must wait for it to drain.
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${cmd} | (sleep 1.5; cat > '${out}')`], { encoding: 'utf8', cwd: PROJECT_ROOT, env: { ...process.env, SINKLENS_MODEL: '' } });
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    assert.ok(text.length > 1_000_000, `result is ${text.length} bytes; the test needs > 1 MB`);
    const res = JSON.parse(text) as AnalysisResult;
    assert.equal(res.baseline.layers.length, 25);
    assert.ok(res.ablation !== null);
  });

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

  test('a GGUF file\'s linears taken as stored are named in the header, the JSON and the notes', () => {
    const path = writeGgufModel(DEMO_MODEL_DIR, join(tmp, 'demo-q4_0.gguf'), { quant: 'Q4_0' }).path;
    const r = cli(['analyze', '--model', path, '--text', 'The dog ran to the park.', '--weights', 'int4', '--json', join(tmp, 'g.json')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^SinkLens · .* · weights int4 \(GGUF: \d+ Q4_0 as stored \(4-bit\)\) · cpu · \d+ tokens/m);
    const res = JSON.parse(readFileSync(join(tmp, 'g.json'), 'utf8')) as AnalysisResult;
    assert.match(res.model.precision?.sources ?? '', /^\d+ Q4_0 as stored \(4-bit\)$/);
    assert.ok(res.settings.notes.some((n) => /^Linear weights from the GGUF file: \d+ Q4_0 as stored/.test(n)), res.settings.notes.join('\n'));
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
    // Then what each family supports (src/shared/families.ts), one line each.
    assert.match(r.out, /Supported families \(every one in weights fp32, fp16, int8, int4\):/);
    assert.match(r.out, /\n {2}gpt-oss +model_type gpt_oss +sliding window, learned sinks, experts \(MoE\)\n/);
    assert.match(r.out, /\n {2}Gemma 2 +model_type gemma2 +sliding window +GGUF gemma2\n/);
    assert.equal(r.out.split('\n').filter((l) => / model_type /.test(l)).length, 16);
  });
});
