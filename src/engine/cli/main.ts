/**
 * The `sinklens` command line (bin/sinklens.js -> dist/cli.js).
 *   sinklens analyze --model DIR (--text S | --file F | stdin) [--json OUT] [--ablate auto|3,4] ...
 *   sinklens models [--dir D ...]
 *   sinklens demo
 * Results go to stdout, progress to stderr; bad input exits non-zero with one clear line.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalyzeOptions, Progress } from '../../shared/engineApi';
import { SinkLensError, toErrorData } from '../../shared/errors';
import type { AnalysisResult } from '../../shared/result';
import { Engine } from '../api';
import { discoverModels } from '../model/discover';
import { parseAblate, resolveOptions } from '../options';
import { num, one, parseArgs, UsageError, type ParsedArgs } from './args';
import { formatResult } from './table';

const SPEC = {
  values: ['model', 'text', 'file', 'json', 'ablate', 'ablate-target', 'max-tokens', 'tau', 'prepend-bos', 'chat-template', 'threads', 'alpha', 'logit-lens', 'top-k', 'attention', 'dir', 'examples'],
  flags: ['help', 'version', 'exclude-bos', 'center', 'row-normalize', 'include-first-query', 'quiet', 'no-table'],
} as const;

const ROOT = resolve(__dirname, '..');
export const BUILTIN_MODEL = join(ROOT, 'models', 'sinklens-tiny');

const HELP = `sinklens — attention sinks, massive activations and compression valleys in your prompt

Usage:
  sinklens analyze [--model DIR] (--text S | --file F | < stdin) [options]
  sinklens models [--dir DIR ...]
  sinklens demo [--examples DIR] [--model DIR]

Analyze options:
  --model DIR            Hugging Face model folder (default: $SINKLENS_MODEL or the built-in sinklens-tiny)
  --json OUT             also write the full result as JSON ('-' = stdout, no table)
  --ablate auto|3,4      re-run with the MLP write at BOS zeroed in these blocks (auto = the spike blocks)
  --ablate-target mlp|attn
  --max-tokens N         truncate the prompt to N tokens (default 512)
  --tau X                sink-rate threshold (default 0.3)
  --prepend-bos auto|always|never
  --chat-template none|user|system
                         analyse the model's chat template around the prompt, as one user message
                         (with the assistant prompt) or one system message (default none)
  --alpha A              Rényi order of the matrix entropy (default 1 = Shannon)
  --exclude-bos --center --row-normalize --include-first-query
  --logit-lens all|0,3   logit lens on these layers
  --top-k N              next-token predictions to report (default 10)
  --attention B,H        print the attention map of block B, head H
  --threads N            onnxruntime intra-op threads (default: onnxruntime's choice)
  --quiet                no progress on stderr
`;

function analyzeOptions(p: ParsedArgs): AnalyzeOptions {
  const o: AnalyzeOptions = {};
  const pb = one(p, 'prepend-bos');
  if (pb !== undefined) {
    if (pb !== 'auto' && pb !== 'always' && pb !== 'never') throw new UsageError(`--prepend-bos takes auto, always or never (got '${pb}').`);
    o.prependBos = pb;
  }
  const chat = one(p, 'chat-template');
  if (chat !== undefined) {
    if (chat !== 'none' && chat !== 'user' && chat !== 'system') throw new UsageError(`--chat-template takes none, user or system (got '${chat}').`);
    o.chatTemplate = chat;
  }
  const maxTokens = num(p, 'max-tokens', { integer: true });
  if (maxTokens !== undefined) o.maxTokens = maxTokens;
  const tau = num(p, 'tau');
  if (tau !== undefined) o.tau = tau;
  const alpha = num(p, 'alpha');
  o.entropy = {
    ...(alpha !== undefined ? { alpha } : {}),
    excludeBos: p.flags.has('exclude-bos'),
    center: p.flags.has('center'),
    rowNormalize: p.flags.has('row-normalize'),
  };
  o.includeFirstQuery = p.flags.has('include-first-query');
  o.ablate = parseAblate(one(p, 'ablate'));
  const target = one(p, 'ablate-target');
  if (target !== undefined) {
    if (target !== 'mlp' && target !== 'attn') throw new UsageError(`--ablate-target takes mlp or attn (got '${target}').`);
    o.ablateTarget = target;
  }
  const lens = one(p, 'logit-lens');
  if (lens !== undefined) o.logitLens = lens === 'all' ? 'all' : lens.split(',').map(Number);
  const topK = num(p, 'top-k', { integer: true });
  if (topK !== undefined) o.lastTopK = topK;
  resolveOptions(o); // Fail on bad values before any work.
  return o;
}

function modelDir(p: ParsedArgs): string {
  const dir = one(p, 'model') ?? process.env.SINKLENS_MODEL ?? BUILTIN_MODEL;
  return resolve(dir);
}

function readPrompt(p: ParsedArgs): string {
  const text = one(p, 'text');
  if (text !== undefined) return text;
  const file = one(p, 'file');
  if (file !== undefined) {
    if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file.`);
    return readFileSync(file, 'utf8');
  }
  if (process.stdin.isTTY) throw new UsageError('Give the prompt with --text, --file, or on stdin.');
  return readFileSync(0, 'utf8');
}

function progressPrinter(quiet: boolean): (p: Progress) => void {
  const t0 = performance.now();
  // One line per stage; the per-layer spectral updates are for UIs that paint progressively.
  return (p) => {
    if (!quiet && !p.layer) process.stderr.write(`[${Math.round(performance.now() - t0)} ms] ${p.stage}${p.message ? `: ${p.message}` : ''}\n`);
  };
}

async function analyzeOne(engine: Engine, dir: string, text: string, o: AnalyzeOptions, quiet: boolean): Promise<AnalysisResult> {
  const say = progressPrinter(quiet);
  const h = await engine.load(dir, {});
  say({ stage: 'load', message: `${h.info.name} from ${dir}` });
  return engine.analyze(h, text, o, say);
}

async function cmdAnalyze(p: ParsedArgs): Promise<void> {
  const engine = new Engine();
  try {
    const o = analyzeOptions(p);
    const dir = modelDir(p);
    const text = readPrompt(p);
    if (text.trim() === '') throw new SinkLensError('emptyPrompt', 'The prompt is empty: give some text to analyse.');
    const quiet = p.flags.has('quiet');
    const r = await analyzeOne(engine, dir, text, o, quiet);
    const json = one(p, 'json');
    if (json === '-') process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      if (!p.flags.has('no-table')) process.stdout.write(`${formatResult(r)}\n`);
      if (json !== undefined) {
        writeFileSync(json, JSON.stringify(r, null, 1));
        if (!quiet) process.stderr.write(`wrote ${json}\n`);
      }
    }
    const att = one(p, 'attention');
    if (att !== undefined) await printAttention(engine, dir, text, o, att);
  } finally {
    await engine.dispose();
  }
}

async function printAttention(engine: Engine, dir: string, text: string, o: AnalyzeOptions, spec: string): Promise<void> {
  const [block, head] = spec.split(',').map(Number);
  if (block === undefined || head === undefined || !Number.isInteger(block) || !Number.isInteger(head)) {
    throw new UsageError(`--attention takes BLOCK,HEAD like 2,5 (got '${spec}').`);
  }
  const h = await engine.load(dir, {});
  const m = await engine.attention(h, { text, options: o, block, head });
  const T = m.tokens;
  process.stdout.write(`\nattention block ${block} head ${head} (rows = queries, columns = keys; first 16 shown)\n`);
  for (let i = 0; i < Math.min(T, 16); i++) {
    const row = m.data.slice(i * T, i * T + Math.min(T, 16)).map((v) => v.toFixed(2));
    process.stdout.write(`${String(i).padStart(3)} ${row.join(' ')}\n`);
  }
}

async function cmdModels(p: ParsedArgs): Promise<void> {
  const extraDirs = [...(p.values.get('dir') ?? []), ...(process.env.SINKLENS_MODEL_DIRS ?? '').split(':').filter(Boolean)];
  const found = await discoverModels({ extraDirs });
  const rows = [{ name: 'sinklens-tiny (built-in)', dir: BUILTIN_MODEL, source: 'built-in', modelType: 'llama', supported: true }, ...found];
  for (const m of rows) {
    process.stdout.write(`${m.supported ? ' ' : '!'} ${m.name.padEnd(40)} ${String(m.modelType ?? '?').padEnd(10)} ${m.source.padEnd(9)} ${m.dir}\n`);
  }
  if (rows.some((m) => !m.supported)) process.stdout.write(`(! = architecture not supported by SinkLens)\n`);
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
      process.stdout.write(`\n=== ${f} ===\n`);
      const r = await analyzeOne(engine, dir, text, { ablate: 'auto' }, p.flags.has('quiet'));
      process.stdout.write(`${formatResult(r)}\n`);
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
      process.stdout.write(`${readVersion()}\n`);
      return 0;
    }
    if (p.flags.has('help') || p.command === undefined || p.command === 'help') {
      process.stdout.write(HELP);
      return p.command === undefined && !p.flags.has('help') ? 2 : 0;
    }
    if (p.command === 'analyze') await cmdAnalyze(p);
    else if (p.command === 'models') await cmdModels(p);
    else if (p.command === 'demo') await cmdDemo(p);
    else throw new UsageError(`Unknown command '${p.command}'. Commands: analyze, models, demo.`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sinklens: ${e.message}\n`);
      return 2;
    }
    const d = toErrorData(e);
    process.stderr.write(`sinklens: ${d.message}${SinkLensError.is(e) ? '' : ` (${d.code})`}\n`);
    if (process.env.SINKLENS_DEBUG && d.detail) process.stderr.write(`${d.detail}\n`);
    return 1;
  }
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`sinklens: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
