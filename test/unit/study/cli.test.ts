/**
 * `sinklens study` / `sinklens report` as real processes (through tsx) on the demo model and a generated
 * one: per-model curves aligned on relative depth, the demo model's valley, JSON with provenance, CSV
 * tables, the HTML report with --fail-if exit codes, usage errors, and a study killed with SIGKILL
 * that resumes where it stopped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisResult } from '../../../src/shared/result';
import type { StudyResult } from '../../../src/shared/study';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-study-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const MAIN = join(PROJECT_ROOT, 'src/engine/cli/main.ts');
const ENV = { ...process.env, SINKLENS_MODEL: '' };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, env: ENV });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('sinklens study', () => {
  const gen = join(tmp, 'gen-llama');
  generateModel(gen, ARCH_SPECS[0]!); // 2 blocks: a depth the demo model (6 blocks) must be aligned with

  test('the built-in set on two models: one curve per model on l/L, the demo valley at h[2], JSON + CSV with provenance', () => {
    const json = join(tmp, 'study.json');
    const csv = join(tmp, 'csv');
    const r = cli(['study', '--model', DEMO_MODEL_DIR, '--model', gen, '--limit', '6', '--json', json, '--csv', csv, '--quiet']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /sinklens-tiny \(llama, 6 blocks.*6 prompts/);
    assert.match(r.out, /gen-llama \(llama, 2 blocks/);
    assert.match(r.out, /valley in 6\/6 prompts \(100%\) · minimum at h\[2\] ×6/);
    assert.match(r.out, /spike in 6\/6 prompts · at block 1 ×6/);
    assert.match(r.out, /relative depth/);
    const s = JSON.parse(readFileSync(json, 'utf8')) as StudyResult;
    assert.equal(s.kind, 'sinklens-study');
    assert.equal(s.complete, true);
    assert.equal(s.models.length, 2);
    const [demo, g] = s.models as [StudyResult['models'][0], StudyResult['models'][0]];
    assert.equal(demo.prompts.length, 6);
    assert.equal(g.prompts.length, 6);
    assert.equal(demo.perLayer.length, 7);
    assert.equal(g.perLayer.length, 3);
    // One curve per model on the shared grid of 6 + 1 points; the 2-block model interpolated between its layers.
    assert.equal(s.relativeDepth.grid.length, 7);
    assert.equal(s.relativeDepth.models.length, 2);
    const ge = g.perLayer.map((l) => l.entropy.mean as number);
    const gi = s.relativeDepth.models[1]!.entropy.map((x) => x.mean as number);
    assert.ok(Math.abs(gi[3]! - ge[1]!) < 1e-12 && Math.abs(gi[1]! - (ge[0]! + (ge[1]! - ge[0]!) / 3)) < 1e-12);
    // The demo model's compression valley: entropy falls from ~0.8 to ~0.5 at h[2] and recovers (model README).
    const e = demo.perLayer.map((l) => l.entropy.mean as number);
    assert.ok(e[2]! < e[0]! - 0.2 && e[2]! < e[6]! - 0.1, `valley at h[2]: ${e.map((x) => x.toFixed(3)).join(' ')}`);
    assert.equal(demo.valley.minLayerCounts[2], 6);
    assert.ok(demo.valley.depth.mean! > 0.1);
    assert.ok(demo.perLayer[2]!.bosNormLog10.mean! - demo.perLayer[1]!.bosNormLog10.mean! > 0.8, 'BOS norm jumps ~10x at the spike');
    assert.ok(demo.perLayer[2]!.entropy.q1! <= e[2]! && e[2]! <= demo.perLayer[2]!.entropy.q3!);
    // Provenance: weight and tokenizer sha256 of the files themselves.
    assert.equal(s.provenance.models[0]!.weights[0]!.sha256, sha(join(DEMO_MODEL_DIR, 'model.safetensors')));
    assert.equal(s.provenance.models[0]!.tokenizer?.sha256, sha(join(DEMO_MODEL_DIR, 'tokenizer.json')));
    assert.match(s.provenance.sinklensVersion, /^\d+\.\d+\.\d+/);
    assert.equal(s.provenance.settings.tau, 0.3);
    assert.equal(s.prompts[0]!.id, 'math-01');
    // CSV tables with their headers and one row per (model, prompt, block, head) in heads.csv.
    const lines = (f: string): string[] => readFileSync(join(csv, f), 'utf8').trimEnd().split('\n');
    assert.match(lines('layers.csv')[0]!, /^model,layer,relDepth,entropy_mean,entropy_q1,entropy_median,entropy_q3,/);
    assert.equal(lines('layers.csv').length, 1 + 7 + 3);
    assert.equal(lines('heads.csv')[0], 'model,prompt,block,layer,head,sinkScore');
    assert.equal(lines('heads.csv').length, 1 + 6 * 6 * 8 + 6 * 2 * 4);
    assert.equal(lines('prompts.csv').length, 1 + 12);
    assert.equal(lines('tokens.csv')[0], 'model,prompt,index,text,start,end,special,sinkMass');
    assert.equal(lines('tokens.csv').length, 1 + [...demo.prompts, ...g.prompts].reduce((n, p) => n + p.tokens, 0));
    const prov = JSON.parse(readFileSync(join(csv, 'provenance.json'), 'utf8')) as StudyResult['provenance'];
    assert.equal(prov.models[1]!.weights[0]!.sha256, sha(join(gen, 'model.safetensors')));
    assert.ok(!existsSync(`${json}.journal.jsonl`), 'the journal is removed once the study is written');

    // A study's per-prompt curve is exactly what `analyze` reports for that prompt.
    const text = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'examples/prompts/builtin.jsonl'), 'utf8').split('\n')[0]!) as { text: string }).text;
    const a = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', text, '--json', '-', '--quiet']);
    const ar = JSON.parse(a.out) as AnalysisResult;
    assert.deepEqual(demo.prompts[0]!.curves.entropy, ar.baseline.layers.map((l) => l.entropy));
    assert.deepEqual(demo.prompts[0]!.summary, ar.summary);
  });

  test('a study killed with SIGKILL resumes where it stopped', async () => {
    const json = join(tmp, 'resume.json');
    const args = ['--import', 'tsx', MAIN, 'study', '--model', DEMO_MODEL_DIR, 'builtin', '--limit', '12', '--json', json];
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const killed = await new Promise<boolean>((res) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/ 3\/12 /.test(err) && child.kill('SIGKILL')) res(true);
      });
      child.on('exit', () => res(false));
    });
    await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(null) : child.on('exit', res)));
    assert.ok(killed && child.signalCode === 'SIGKILL', `killed mid-study (stderr: ${err})`);
    const journal = `${json}.journal.jsonl`;
    const doneBefore = readFileSync(journal, 'utf8').trim().split('\n').length - 1;
    assert.ok(doneBefore >= 3 && doneBefore < 12, `${doneBefore} prompts journaled`);
    assert.ok(!existsSync(json));

    const r = cli(['study', '--model', DEMO_MODEL_DIR, 'builtin', '--limit', '12', '--json', json]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`12 prompts · resuming: ${doneBefore} done in the journal`));
    const ran = r.err.split('\n').filter((l) => /\] \d+\/12 /.test(l));
    assert.equal(ran.length, 12 - doneBefore, 'only the missing prompts run again');
    assert.match(ran[0]!, new RegExp(` ${doneBefore + 1}/12 `));
    assert.match(ran[ran.length - 1]!, /12\/12 math-12 · \d+\.\d\d s\/prompt · ETA 0 s$/, 'progress lines carry the time per prompt and an ETA');
    const s = JSON.parse(readFileSync(json, 'utf8')) as StudyResult;
    assert.deepEqual(s.models[0]!.prompts.map((p) => p.index), [...Array(12).keys()]);
    assert.equal(s.models[0]!.valley.withValley, 12);
    assert.ok(!existsSync(journal));
  });
});

describe('sinklens study --state', () => {
  test('--json - writes the study to stdout; a finished study leaves no journal in --state DIR', () => {
    const state = join(tmp, 'state');
    const r = cli(['study', '--model', DEMO_MODEL_DIR, '--limit', '2', '--state', state, '--json', '-']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as StudyResult;
    assert.equal(s.models[0]!.prompts.length, 2);
    assert.match(r.err, /\] 2\/2 math-02 /);
    assert.ok(existsSync(state) && readdirSync(state).length === 0, 'the finished study removed its journal');
  });
});

describe('sinklens report', () => {
  test('writes the offline HTML; --fail-if exits 4 when a condition holds, 0 when none does', () => {
    const set = join(tmp, 'set.txt');
    writeFileSync(set, 'Once upon a time, there was a little dog.\nTom had three apples and ate one.\nThe sun was warm.\n');
    const html = join(tmp, 'report.html');
    const json = join(tmp, 'report.json');
    const fail = cli(['report', '--model', DEMO_MODEL_DIR, set, '--out', html, '--json', json, '--fail-if', 'maxBosRatio >= 5', '--fail-if', 'mean(valleyDepth) > 0.9', '--quiet']);
    assert.equal(fail.code, 4, fail.err);
    assert.match(fail.err, /^FAIL --fail-if "maxBosRatio >= 5" on sinklens-tiny: 3 of 3 prompt\(s\) have maxBosRatio >= 5: p1, p2, p3$/m);
    assert.doesNotMatch(fail.err, /valleyDepth/, '--quiet prints only the holding conditions');
    const page = readFileSync(html, 'utf8');
    assert.equal((page.match(/<tr class="prompt-row"/g) ?? []).length, 3);
    assert.equal((page.match(/<section class="prompt"/g) ?? []).length, 3);
    assert.doesNotMatch(page, /<script|(?:src|href)="(?!#)/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as StudyResult & { checks: { condition: string; holds: boolean }[] };
    assert.deepEqual(doc.checks.map((c) => [c.condition, c.holds]), [['maxBosRatio >= 5', true], ['mean(valleyDepth) > 0.9', false]]);
    const pass = cli(['report', '--model', DEMO_MODEL_DIR, set, '--out', html, '--fail-if', 'all(valley == 0)', '--quiet']);
    assert.equal(pass.code, 0, pass.err);
  });

  const bad: [string, string[], number, RegExp][] = [
    ['a bad --fail-if', ['report', '--model', DEMO_MODEL_DIR, 'builtin', '--out', '/tmp/x.html', '--fail-if', 'maxSink > 1'], 2, /--fail-if "maxSink > 1": unknown metric 'maxSink'/],
    ['report without --out', ['report', '--model', DEMO_MODEL_DIR, 'builtin'], 2, /needs --out/],
    ['--out on study', ['study', '--model', DEMO_MODEL_DIR, '--out', 'x.html'], 2, /--out is for 'sinklens report'/],
    ['an analyze option on study', ['study', '--model', DEMO_MODEL_DIR, '--ablate', 'auto'], 2, /--ablate is an analyze option/],
    ['a study option on analyze', ['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--fail-if', 'tokens > 1'], 2, /--fail-if is a study\/report option/],
    ['a missing prompt set', ['study', '--model', DEMO_MODEL_DIR, '/nonexistent/set.jsonl'], 2, /no such prompt set/],
    ['--limit 0', ['study', '--model', DEMO_MODEL_DIR, '--limit', '0'], 2, /--limit must be a positive integer/],
  ];
  for (const [what, args, code, re] of bad) {
    test(`exit ${code} with one clear line: ${what}`, () => {
      const r = cli(args);
      assert.equal(r.code, code, r.err);
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    });
  }

  test('--help documents study, report and the --fail-if grammar', () => {
    const r = cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /sinklens report \[--model DIR \.\.\.\] \[PROMPTS\] --out report\.html/);
    assert.match(r.out, /fraction\(METRIC OP N\) OP F/);
    assert.match(r.out, /valleyDepth\s+depth of the compression valley/);
    assert.match(r.out, /exit 4 when any holds/);
  });

  test('a bad .jsonl line is an input error (exit 1) that names the line', () => {
    const set = join(tmp, 'bad.jsonl');
    writeFileSync(set, '{"text": "fine"}\n{"txt": "typo"}\n');
    const r = cli(['study', '--model', DEMO_MODEL_DIR, set]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /bad\.jsonl:2: needs "text"/);
  });
});

describe('sinklens analyze --csv', () => {
  test('writes the per-layer, per-token and per-head tables and provenance.json', () => {
    const dir = join(tmp, 'one');
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'The cat sat, "quietly".', '--csv', dir, '--quiet']);
    assert.equal(r.code, 0, r.err);
    const read = (f: string): string[] => readFileSync(join(dir, f), 'utf8').trimEnd().split('\n');
    assert.match(read('layers.csv')[0]!, /^layer,bosNorm,medianOtherNorm,bosRatio,entropy,/);
    assert.equal(read('layers.csv').length, 1 + 7);
    assert.equal(read('heads.csv').length, 1 + 6 * 8);
    const tokens = read('tokens.csv');
    assert.match(tokens[0]!, /^index,id,text,start,end,special,sinkMass_h1,.*,norm_h6$/);
    assert.match(tokens[1]!, /^0,1,<s>,0,0,true,/, 'BOS first, with an empty span');
    assert.match(tokens[2]!, /^1,\d+,The,0,3,false,/, '"The" next, with its offsets');
    assert.ok(tokens.some((l) => /^\d+,\d+,",",11,12,false,/.test(l)), 'the comma token is quoted');
    assert.ok(tokens.some((l) => /^\d+,\d+,"""",21,22,false,/.test(l)), 'the quote token is quoted and doubled');
    assert.equal(tokens.length, 1 + 16);
    const prov = JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8')) as { model: { weights: { sha256: string }[] }; settings: { tau: number } };
    assert.equal(prov.model.weights[0]!.sha256, sha(join(DEMO_MODEL_DIR, 'model.safetensors')));
    assert.equal(prov.settings.tau, 0.3);
  });
});
