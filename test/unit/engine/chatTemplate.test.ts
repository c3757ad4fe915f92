/**
 * Chat-template mode: the model's tokenizer_config.json chat_template rendered around the prompt
 * (Zephyr-style template on a generated Llama folder), checked against strings written out by
 * hand and against @huggingface/tokenizers run directly on the expected rendering.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { Engine } from '../../../src/engine/api';
import { loadConfig } from '../../../src/engine/model/config';
import { locateText, mapSpan, readChatTemplate, renderChat } from '../../../src/engine/model/chatTemplate';
import { loadTokenizer, type Encoded, type PromptTokenizer } from '../../../src/engine/model/tokenizer';
import { SinkLensError } from '../../../src/shared/errors';
import type { AnalysisResult } from '../../../src/shared/result';
import { PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel, samplePrompt, type GeneratedModel } from '../../support/genModel';

const ZEPHYR = '{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}{{ eos_token }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}';
/** ChatML style: no BOS in the template, content trimmed. */
const CHATML_TRIM = '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-chat-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec = ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied')!;

/** A generated Llama folder whose tokenizer_config.json carries `template` (undefined = none). */
function modelWith(name: string, template: unknown): GeneratedModel {
  const m = generateModel(join(tmp, name), spec);
  const path = join(m.dir, 'tokenizer_config.json');
  const cfg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (template !== undefined) writeFileSync(path, JSON.stringify({ ...cfg, chat_template: template }));
  return m;
}

function tokCfg(m: GeneratedModel): Record<string, unknown> {
  return JSON.parse(readFileSync(join(m.dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
}

/** The ids @huggingface/tokenizers itself gives a string, without special tokens (the reference). */
function referenceIds(m: GeneratedModel, s: string): number[] {
  const tj = JSON.parse(readFileSync(join(m.dir, 'tokenizer.json'), 'utf8')) as object;
  return new Tokenizer(tj, tokCfg(m)).encode(s, { add_special_tokens: false }).ids;
}

function errorOf(fn: () => unknown): SinkLensError {
  try {
    fn();
  } catch (e) {
    if (SinkLensError.is(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

/** Text tokens slice back to their text and, in order, are the bare text's tokens; template tokens are empty. */
function assertMapped(text: string, enc: Encoded, bare: Encoded): void {
  const inText = enc.tokens.filter((t) => !t.template && t.end > t.start);
  for (const t of inText) assert.equal(text.slice(t.start, t.end), t.text, `token ${t.index}`);
  assert.deepEqual(inText.map((t) => t.id), bare.ids);
  assert.deepEqual(inText.map((t) => [t.start, t.end]), bare.tokens.map((t) => [t.start, t.end]));
  const tpl = enc.tokens.filter((t) => t.template);
  assert.ok(tpl.length > 0, 'some template tokens');
  for (const t of tpl) {
    assert.equal(t.start, t.end, `template token ${t.index} is empty`);
    assert.ok(t.start === 0 || t.start === text.length);
  }
  // Template tokens before the text sit at 0, after it at text.length.
  const first = enc.tokens.findIndex((t) => !t.template && t.end > t.start);
  const last = enc.tokens.length - 1 - [...enc.tokens].reverse().findIndex((t) => !t.template && t.end > t.start);
  enc.tokens.forEach((t, i) => {
    if (t.template && i < first) assert.equal(t.start, 0, `token ${i} before the text`);
    if (t.template && i > last) assert.equal(t.start, text.length, `token ${i} after the text`);
  });
}

describe('chat template (Zephyr-style, generated Llama)', () => {
  let m: GeneratedModel;
  let tok: PromptTokenizer;
  let text: string;
  before(async () => {
    m = modelWith('zephyr', ZEPHYR);
    tok = await loadTokenizer(m.dir, loadConfig(m.dir));
    text = samplePrompt(m, 7);
  });

  it('renders the user and system messages exactly', () => {
    assert.equal(renderChat(tokCfg(m), 'user', text).rendered, `<s><|user|>\n${text}</s>\n<|assistant|>\n`);
    assert.equal(renderChat(tokCfg(m), 'system', text).rendered, `<s><|system|>\n${text}</s>\n`);
  });

  it('takes the default entry of the list form', () => {
    assert.equal(readChatTemplate({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: ZEPHYR }] }), ZEPHYR);
    assert.equal(readChatTemplate({ chat_template: [{ name: 'tool_use', template: 'x' }] }), null);
    assert.equal(readChatTemplate({}), null);
  });

  it('tokens: the rendering, one BOS at 0, text tokens mapped into the text, template tokens marked', () => {
    const bare = tok.encode(text, { prependBos: 'never' });
    for (const mode of ['user', 'system'] as const) {
      const rendered = mode === 'user' ? `<s><|user|>\n${text}</s>\n<|assistant|>\n` : `<s><|system|>\n${text}</s>\n`;
      for (const prependBos of ['auto', 'always', 'never'] as const) {
        const enc = tok.encode(text, { prependBos, chatTemplate: mode });
        assert.deepEqual(enc.ids, referenceIds(m, rendered), `${mode} ${prependBos}`);
        assert.equal(enc.ids.filter((id) => id === m.vocab.bosId).length, 1, 'exactly one BOS');
        assert.equal(enc.ids[0], m.vocab.bosId);
        assert.equal(enc.bosPrepended, true);
        assert.equal(enc.tokens[0]?.template, true);
        assertMapped(text, enc, bare);
      }
    }
  });

  it('finds the text where the template put it, even when the template also contains it', () => {
    const chat = renderChat(tokCfg(m), 'user', 'user');
    assert.equal(chat.rendered, '<s><|user|>\nuser</s>\n<|assistant|>\n');
    assert.deepEqual(chat.at, { start: '<s><|user|>\n'.length, end: '<s><|user|>\nuser'.length, lead: 0 });
    // Without the marker's hint, the first occurrence (inside "<|user|>") would be taken.
    assert.equal(locateText(chat.rendered, 'user', -1).at?.start, '<s><|'.length);
  });

  it('maps spans of the whole rendering: before, inside (clamped), after', () => {
    const at = { start: 10, end: 20, lead: 2 };
    assert.deepEqual(mapSpan({ start: 3, end: 10 }, at, 13), { start: 0, end: 0, template: true });
    assert.deepEqual(mapSpan({ start: 8, end: 12 }, at, 13), { start: 2, end: 4, template: false });
    assert.deepEqual(mapSpan({ start: 18, end: 25 }, at, 13), { start: 10, end: 12, template: false });
    assert.deepEqual(mapSpan({ start: 20, end: 22 }, at, 13), { start: 13, end: 13, template: true });
  });

  it('maxTokens keeps the first tokens of the rendering', () => {
    const full = tok.encode(text, { prependBos: 'auto', chatTemplate: 'user' });
    const cut = tok.encode(text, { prependBos: 'auto', chatTemplate: 'user', maxTokens: 6 });
    assert.deepEqual(cut.ids, full.ids.slice(0, 6));
    assert.equal(cut.truncated, true);
  });
});

describe('chat template: other templates and errors', () => {
  it('a template without BOS gets the normal BOS policy; a trimming template maps through the trimmed text', async () => {
    const m = modelWith('chatml', CHATML_TRIM);
    const tok = await loadTokenizer(m.dir, loadConfig(m.dir));
    const words = samplePrompt(m, 4);
    const text = `  ${words}\n`;
    const rendered = `<|im_start|>user\n${words}<|im_end|>\n`;
    const auto = tok.encode(text, { prependBos: 'auto', chatTemplate: 'user' });
    assert.deepEqual(auto.ids, [m.vocab.bosId, ...referenceIds(m, rendered)]);
    assert.match(auto.warnings.map((w) => w.message).join('\n'), /trims the prompt/);
    const inText = auto.tokens.filter((t) => !t.template && !t.special);
    for (const t of inText) assert.equal(text.slice(t.start, t.end), t.text);
    assert.equal(inText[0]?.start, 2, 'offsets into the untrimmed text');
    const never = tok.encode(text, { prependBos: 'never', chatTemplate: 'user' });
    assert.deepEqual(never.ids, referenceIds(m, rendered));
    assert.ok(never.warnings.some((w) => w.code === 'noBos'));
  });

  it('a model without a chat template is a badRequest', async () => {
    const m = modelWith('plain', undefined);
    const tok = await loadTokenizer(m.dir, loadConfig(m.dir));
    const e = errorOf(() => tok.encode('hello', { prependBos: 'auto', chatTemplate: 'user' }));
    assert.equal(e.code, 'badRequest');
    assert.match(e.message, /no chat template .*--chat-template none/);
    assert.equal(tok.encode('hello', { prependBos: 'auto', chatTemplate: 'none' }).tokens.some((t) => t.template), false);
  });
});

describe('chat template through the engine and the CLI', () => {
  const engine = new Engine();
  after(() => engine.dispose());
  let m: GeneratedModel;
  before(() => {
    m = modelWith('engine', ZEPHYR);
  });

  it('analyze with chatTemplate user runs on the rendering and echoes the setting', async () => {
    const h = await engine.load(m.dir);
    const text = samplePrompt(m, 5, 3);
    const r = await engine.analyze(h, text, { chatTemplate: 'user' });
    const ids = referenceIds(m, `<s><|user|>\n${text}</s>\n<|assistant|>\n`);
    assert.deepEqual(r.tokens.map((t) => t.id), ids);
    assert.equal(r.baseline.layers[0]?.norms.length, ids.length);
    assert.equal(r.settings.chatTemplate, 'user');
    assert.equal(r.input.text, text);
    const plain = await engine.analyze(h, text, {});
    assert.equal(plain.settings.chatTemplate, 'none');
    assert.ok(plain.tokens.length < r.tokens.length);
    await assert.rejects(engine.analyze(h, text, { chatTemplate: 'assistant' as 'user' }), /chatTemplate must be none, user or system/);
  });

  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), ...args], {
      encoding: 'utf8',
      cwd: PROJECT_ROOT,
      env: { ...process.env, SINKLENS_MODEL: '' },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('sinklens analyze --chat-template system', () => {
    const text = samplePrompt(m, 4, 5);
    const r = cli(['analyze', '--model', m.dir, '--text', text, '--chat-template', 'system', '--json', '-', '--quiet']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as AnalysisResult;
    assert.equal(res.settings.chatTemplate, 'system');
    assert.deepEqual(res.tokens.map((t) => t.id), referenceIds(m, `<s><|system|>\n${text}</s>\n`));
    assert.ok(res.tokens.some((t) => t.template === true));
    const bad = cli(['analyze', '--model', m.dir, '--text', text, '--chat-template', 'bot']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--chat-template takes none, user or system/);
    assert.equal(bad.err.trim().split('\n').length, 1);
  });
});
