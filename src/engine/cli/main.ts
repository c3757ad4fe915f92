/**
 * The `sinklens` command line (bin/sinklens.js -> dist/cli.js).
 *   sinklens analyze --model DIR (--text S | --file F | stdin) [--json OUT] [--ablate auto|3,4] ...
 *   sinklens models [--dir D ...]
 *   sinklens demo
 *   sinklens cache list|clear
 *   sinklens study|report ...   (cli/study.ts)
 * Results go to stdout, progress to stderr; bad input exits non-zero with one clear line.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUTO_MAX_TOKENS_CAP, DEFAULT_ENTROPY, DEFAULT_LAST_TOP_K, DEFAULT_MAX_TOKENS, DEFAULT_TAU } from '../../shared/defaults';
import type { AnalyzeOptions, LoadOptions, Progress } from '../../shared/engineApi';
import { SinkLensError, toErrorData, type ErrorCode } from '../../shared/errors';
import type { AnalysisResult } from '../../shared/result';
import { Engine } from '../api';
import type { Env } from '../../node/hfCache';
import { discoverModels } from '../model/discover';
import { modelListing, providerListing, type ModelRow } from './models';
import { listExecutionProviders } from '../runtime/ort';
import { spectraKernelName } from '../metrics/wasmKernel';
import { mallocSetting } from '../../node/engineEnv';
import { analyzeWorkload } from '../plan/workload';
import { one, parseArgs, UsageError, type ParsedArgs } from './args';
import { analyzeOptions, checkRanges, loadOptions } from './flags';
import { cmdCache } from './cache';
import { checkOutDir, packageVersion, writeAnalysisCsv, writeAnalysisSvg } from './exports';
import { cmdStudy, rejectStudyOptions, STUDY_HELP, STUDY_USAGE, STUDY_VALUES } from './study';
import { formatAttention, formatResult } from './table';

const SPEC = {
  values: ['model', 'text', 'file', 'json', 'ablate', 'ablate-target', 'intervene', 'max-tokens', 'tau', 'prepend-bos', 'chat-template', 'threads', 'weights', 'execution-provider', 'alpha', 'logit-lens', 'top-k', 'attention', 'dir', 'examples', 'cache-dir', 'cache-max-gb', 'key', ...STUDY_VALUES],
  flags: ['help', 'version', 'strict-provider', 'exclude-bos', 'center', 'row-normalize', 'include-first-query', 'quiet', 'no-table', 'loss', 'no-loss'],
} as const;

const ROOT = resolve(__dirname, '..');
export const BUILTIN_MODEL = join(ROOT, 'models', 'sinklens-tiny');

const HELP = `sinklens — attention sinks, massive activations and compression valleys in your prompt

Usage:
  sinklens analyze [--model DIR] (--text S | --file F | < stdin) [options]
  sinklens models [--dir DIR ...]
  sinklens providers     the onnxruntime execution providers this install lists
  sinklens demo [--examples DIR] [--model DIR]
  sinklens cache list|clear [--cache-dir DIR] [--key PREFIX]

${STUDY_USAGE}
Analyze options:
  --model DIR            Hugging Face model folder or GGUF file (default: $SINKLENS_MODEL or the built-in sinklens-tiny)
  --json OUT             also write the full result as JSON ('-' = stdout, no table)
  --csv DIR              also write the per-layer, per-token and per-head tables as CSV (+ provenance.json)
  --svg DIR              also write the per-layer charts as standalone SVG files (BOS ratio, entropy with
                         the bound, sink rate, mixing; the provenance inside each and in provenance.json).
                         PNG comes from the panel: rasterising in Node would need a native canvas module
  --ablate auto|3,4      re-run with a write at BOS zeroed in these blocks (auto = the spike blocks)
  --ablate-target mlp|attn|auto
                         the component zeroed (default auto: the one that writes most of the BOS change there)
  --intervene SPEC       re-run with an intervention and report every metric, the next-token loss and the
                         top-k before/after; repeatable (all apply together in one run; --ablate joins them):
                           mlp@3:bos=zero        zero block 3's MLP write at BOS (position 0)
                           attn@2-4:pos=5=scale:0.5   scale the attention write at token 5 in blocks 2-4
                           mlp@1,3:pos=7=mean    replace it by its mean over the other positions
                           head@3.1=zero         head 1 of block 3 off (before o_proj, every position)
  --loss                 also compute every token's next-token loss (one LM-head pass over the prompt;
                         by default only runs with --ablate or --intervene compute it)
  --no-loss              skip the next-token loss even with --ablate or --intervene
  --max-tokens N|auto    truncate the prompt to N tokens (default ${DEFAULT_MAX_TOKENS}: the model's positions,
                         the memory plan and ${AUTO_MAX_TOKENS_CAP}, whichever is smallest)
  --tau X                sink-rate threshold (default ${DEFAULT_TAU})
  --prepend-bos auto|always|never
  --chat-template none|user|system
                         analyse the model's chat template around the prompt, as one user message
                         (with the assistant prompt) or one system message (default none)
  --alpha A              Rényi order of the matrix entropy (default ${DEFAULT_ENTROPY.alpha} = Shannon)
  --exclude-bos --center --row-normalize --include-first-query
  --logit-lens all|0,3   logit lens on these layers
  --top-k N              next-token predictions to report (default ${DEFAULT_LAST_TOP_K})
  --attention B,H        print the attention map of block B, head H
  --threads N            onnxruntime intra-op threads (default 0: the physical cores this process may use)
  --weights auto|fp32|fp16|int8|int4
                         precision of the linear layers (default auto: fp32 when it fits in half
                         the available memory, else int8, else int4; see docs/PERFORMANCE.md)
  --execution-provider cpu|auto|cuda|...
                         onnxruntime execution provider (default cpu); an unavailable one falls
                         back to the CPU with a message, or fails with --strict-provider
  --quiet                no progress on stderr, no settings notes under the table
  --cache-dir DIR        graph cache folder (default: $SINKLENS_CACHE_DIR or the OS cache folder + sinklens)
  --cache-max-gb N       graph cache size limit, least recently used evicted first (default 20; 0 = no cache)
${STUDY_HELP}`;

function modelDir(p: ParsedArgs): string {
  const dir = one(p, 'model') ?? process.env.SINKLENS_MODEL ?? BUILTIN_MODEL;
  return resolve(dir);
}

async function readPrompt(p: ParsedArgs): Promise<string> {
  const text = one(p, 'text');
  if (text !== undefined) return text;
  const file = one(p, 'file');
  if (file !== undefined) {
    if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file.`);
    return readFileSync(file, 'utf8');
  }
  if (process.stdin.isTTY) throw new UsageError('Give the prompt with --text, --file, or on stdin.');
  return readStdin();
}

/**
 * All of stdin as UTF-8. Read as a stream: readFileSync(0) fails with EAGAIN when stdin is a non-blocking
 * pipe or socket, which is what a Node parent's `spawn(..., { stdio: 'pipe' })` hands its child.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function progressPrinter(quiet: boolean): (p: Progress) => void {
  const t0 = performance.now();
  // One line per stage; the per-layer spectral updates are for UIs that paint progressively.
  return (p) => {
    if (!quiet && !p.layer) process.stderr.write(`[${Math.round(performance.now() - t0)} ms] ${p.stage}${p.message ? `: ${p.message}` : ''}\n`);
  };
}

/** Handles this process has loaded already: a later analysis reuses the model and did not pay its load time. */
const seenHandles = new Set<string>();

async function analyzeOne(
  engine: Engine,
  dir: string,
  text: string,
  o: AnalyzeOptions,
  quiet: boolean,
  load: LoadOptions,
  at?: { block: number; head: number },
): Promise<AnalysisResult> {
  const say = progressPrinter(quiet);
  const warn = (m: string): void => void process.stderr.write(`sinklens: ${m}\n`);
  const workload = analyzeWorkload(text, o);
  const h = await engine.load(dir, load, { onProgress: say, onWarn: warn, workload });
  const reused = seenHandles.has(h.id);
  seenHandles.add(h.id);
  checkRanges(o, h.info.layers, h.info.heads);
  if (at && (at.block >= h.info.layers || at.head >= h.info.heads)) {
    throw new UsageError(`--attention ${at.block},${at.head}: the model has blocks 0..${h.info.layers - 1} and heads 0..${h.info.heads - 1}.`);
  }
  const pr = h.info.precision;
  say({ stage: 'load', message: `${h.info.name} from ${dir}${pr ? ` (weights ${pr.weights}, ${pr.executionProvider})` : ''}${reused ? ' (already loaded)' : ''}` });
  const r = await engine.analyze(h, text, o, say);
  return reused ? { ...r, timings: { ...r.timings, loadMs: 0 } } : r;
}

/** Block and layer indices the user typed must exist in this model (the engine only warns, for the panel's sake). */
async function cmdAnalyze(p: ParsedArgs): Promise<void> {
  const engine = new Engine();
  try {
    rejectStudyOptions(p);
    const o = analyzeOptions(p);
    const at = parseAttention(one(p, 'attention'));
    const load = loadOptions(p);
    const dir = modelDir(p);
    for (const flag of ['csv', 'svg']) {
      const out = one(p, flag);
      if (out !== undefined) checkOutDir(flag, out); // before the analysis, not after it
    }
    const text = await readPrompt(p);
    if (text.trim() === '') throw new SinkLensError('emptyPrompt', 'The prompt is empty: give some text to analyse.');
    const quiet = p.flags.has('quiet');
    const r = await analyzeOne(engine, dir, text, o, quiet, load, at);
    const json = one(p, 'json');
    if (json === '-') await writeOut(`${JSON.stringify(r)}\n`);
    else {
      if (!p.flags.has('no-table')) await writeOut(`${formatResult(r, { notes: !quiet })}\n`);
      if (json !== undefined) {
        writeFileSync(json, JSON.stringify(r, null, 1));
        if (!quiet) process.stderr.write(`wrote ${json}\n`);
      }
    }
    const csv = one(p, 'csv');
    if (csv !== undefined) {
      const n = writeAnalysisCsv(csv, r, packageVersion()).length;
      if (!quiet) process.stderr.write(`wrote ${n} files to ${csv}\n`);
    }
    const svg = one(p, 'svg');
    if (svg !== undefined) {
      const n = writeAnalysisSvg(svg, r, packageVersion()).length;
      if (!quiet) process.stderr.write(`wrote ${n} files to ${svg}\n`);
    }
    if (at !== undefined) await printAttention(engine, dir, text, o, at, r.tokens.map((t) => t.text), load);
  } finally {
    await engine.dispose();
  }
}

function parseAttention(spec: string | undefined): { block: number; head: number } | undefined {
  if (spec === undefined) return undefined;
  const [block, head, ...rest] = spec.split(',').map((x) => Number(x.trim()));
  if (block === undefined || head === undefined || rest.length || !Number.isInteger(block) || !Number.isInteger(head) || block < 0 || head < 0) {
    throw new UsageError(`--attention takes BLOCK,HEAD like 2,5 (got '${spec}').`);
  }
  return { block, head };
}

async function printAttention(
  engine: Engine,
  dir: string,
  text: string,
  o: AnalyzeOptions,
  at: { block: number; head: number },
  labels: string[],
  load: LoadOptions,
): Promise<void> {
  const h = await engine.load(dir, load);
  const m = await engine.attention(h, { text, options: o, ...at });
  await writeOut(`\n${formatAttention(m, labels).join('\n')}\n`);
}

/** The `models` listing: the built-in model, then `discoverModels` for this environment and these folders. */
export function modelRows(env: Env, dirs: readonly string[]): ModelRow[] {
  const extraDirs = [...dirs, ...(env.SINKLENS_MODEL_DIRS ?? '').split(':').filter(Boolean)];
  return [{ name: 'sinklens-tiny (built-in)', dir: BUILTIN_MODEL, source: 'built-in', modelType: 'llama', supported: true }, ...discoverModels({ env, extraDirs })];
}

async function cmdModels(p: ParsedArgs): Promise<void> {
  for (const line of modelListing(modelRows(process.env, p.values.get('dir') ?? []))) await writeOut(line);
}

async function cmdProviders(): Promise<void> {
  for (const line of providerListing(listExecutionProviders())) await writeOut(line);
  // The process's malloc setting (src/node/engineEnv.ts): what the engine runs with here.
  const malloc = mallocSetting();
  if (malloc) await writeOut(`malloc     ${malloc}\n`);
  await writeOut(`spectra    ${spectraKernelName()}\n`);
}

async function cmdDemo(p: ParsedArgs): Promise<void> {
  const examples = resolve(one(p, 'examples') ?? join(ROOT, 'examples'));
  if (!existsSync(examples)) throw new UsageError(`No examples folder at ${examples}.`);
  const files = readdirSync(examples).filter((f) => /\.(txt|prompt)$/.test(f)).sort();
  const dir = modelDir(p);
  const engine = new Engine();
  try {
    for (const f of files) {
      const text = readFileSync(join(examples, f), 'utf8');
      await writeOut(`\n=== ${f} ===\n`);
      const r = await analyzeOne(engine, dir, text, { ablate: 'auto' }, p.flags.has('quiet'), loadOptions(p));
      await writeOut(`${formatResult(r, { notes: !p.flags.has('quiet') })}\n`);
    }
  } finally {
    await engine.dispose();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let p: ParsedArgs;
  try {
    p = parseArgs(argv, SPEC);
    if (p.flags.has('version')) {
      await writeOut(`${packageVersion()}\n`);
      return 0;
    }
    if (p.flags.has('help') || p.command === undefined || p.command === 'help') {
      await writeOut(HELP);
      return p.command === undefined && !p.flags.has('help') ? 2 : 0;
    }
    if (p.command === 'analyze') await cmdAnalyze(p);
    else if (p.command === 'models') await cmdModels(p);
    else if (p.command === 'demo') await cmdDemo(p);
    else if (p.command === 'providers') await cmdProviders();
    else if (p.command === 'cache') cmdCache(new Engine(), p, (s) => void process.stdout.write(s));
    else if (p.command === 'study' || p.command === 'report') return await cmdStudy(p, { analyze: analyzeOptions(p), defaultModel: BUILTIN_MODEL, writeOut });
    else throw new UsageError(`Unknown command '${p.command}'. Commands: analyze, models, providers, demo, cache, study, report.`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sinklens: ${e.message}\n`);
      return 2;
    }
    return reportError(e);
  }
}

/** Exit codes: 2 usage (see above), 1 bad input or model (the message says what to fix), 3 internal (a bug: file it), 4 a --fail-if condition held. */
export function exitCodeFor(code: ErrorCode): 1 | 3 {
  return code === 'internal' || code === 'runtimeError' || code === 'engineCrashed' ? 3 : 1;
}

function reportError(e: unknown): number {
  const d = toErrorData(e);
  const exit = exitCodeFor(d.code);
  const hint = exit === 3 ? ' This is a bug in SinkLens: please file an issue with this line (SINKLENS_DEBUG=1 prints the details).' : '';
  process.stderr.write(`sinklens: ${oneLine(d.message)}${hint}\n`);
  if (process.env.SINKLENS_DEBUG && d.detail) process.stderr.write(`${d.detail}\n`);
  return exit;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Writes to stdout and resolves once the chunk is handed to the OS. Pipes are asynchronous on POSIX:
 * exiting before the callback loses everything past the pipe buffer (64 KiB) when the reader is slow.
 */
export function writeOut(s: string): Promise<void> {
  return new Promise((resolveWrite, reject) => process.stdout.write(s, (err) => (err ? reject(err) : resolveWrite())));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => process.exit(reportError(e)),
  );
}
