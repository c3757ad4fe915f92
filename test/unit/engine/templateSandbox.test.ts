/**
 * Hostile chat templates: rendering runs in a worker with a deadline, a heap of its own and an output cap,
 * so a runaway template ends in seconds with one clear line, and the next render works again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderChat } from '../../../src/engine/model/chatTemplate';
import { renderTemplateSandboxed, stopTemplateSandbox } from '../../../src/engine/model/templateSandbox';
import { SinkLensError } from '../../../src/shared/errors';
import { PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-tpl-'));
after(() => {
  stopTemplateSandbox();
  rmSync(tmp, { recursive: true, force: true });
});

const ECHO = '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}';
const LIMITS = { timeoutMs: 2000, maxBytes: 1 << 20 };

function refused(fn: () => unknown): { error: SinkLensError; ms: number } {
  const t0 = Date.now();
  try {
    fn();
  } catch (e) {
    assert.ok(SinkLensError.is(e, 'badRequest'), `expected badRequest, got ${String(e)}`);
    return { error: e, ms: Date.now() - t0 };
  }
  assert.fail('the template was not refused');
}

describe('chat templates in the sandbox', () => {
  it('renders ordinary templates exactly like the template says', () => {
    assert.deepEqual(renderTemplateSandboxed(ECHO, [{ messages: [{ role: 'user', content: 'hi' }] }], LIMITS), ['<|user|>hi']);
    const chat = renderChat({ chat_template: ECHO }, 'user', 'Once upon a time', LIMITS);
    assert.equal(chat.rendered, '<|user|>Once upon a time');
    assert.deepEqual(chat.at, { start: 8, end: 24, lead: 0 });
  });

  const hostile: [string, string][] = [
    ['a loop over range(10**9)', '{% for i in range(10**9) %}x{% endfor %}'],
    ['a nested 30000 x 30000 loop', '{% for i in range(30000) %}{% for j in range(30000) %}{% endfor %}{% endfor %}'],
    ['the prompt repeated 200000 times', '{% for i in range(200000) %}{{ messages[0].content }}{% endfor %}'],
  ];
  for (const [what, source] of hostile) {
    it(`stops ${what} within 5 s with one line, and the next render works`, () => {
      const { error, ms } = refused(() => renderChat({ chat_template: source }, 'user', 'a prompt of some length', LIMITS));
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.match(error.message, /chat template .*(within 2 s|renders more than)/);
      assert.doesNotMatch(error.message, /\n/);
      assert.deepEqual(renderTemplateSandboxed(ECHO, [{ messages: [{ role: 'user', content: 'ok' }] }], LIMITS), ['<|user|>ok']);
    });
  }

  it("reports the template's own errors (raise_exception, syntax) as one line", () => {
    const raise = refused(() => renderChat({ chat_template: "{{ raise_exception('System role not supported') }}" }, 'system', 'x', LIMITS));
    assert.match(raise.error.message, /System role not supported/);
    const syntax = refused(() => renderChat({ chat_template: '{% for %}' }, 'user', 'x', LIMITS));
    assert.match(syntax.error.message, /chat template failed/);
  });

  it('cuts a long rendering before tokenizing, keeping where the text starts', () => {
    const chat = renderChat({ chat_template: '{% for i in range(50) %}{{ messages[0].content }}{% endfor %}' }, 'user', 'abcd', LIMITS, 30);
    assert.equal(chat.rendered.length, 30);
    assert.deepEqual(chat.at, { start: 0, end: 4, lead: 0 });
  });

  it('the CLI ends a runaway template in seconds with one line and exit 1', () => {
    const spec = ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied')!;
    const m = generateModel(join(tmp, 'runaway'), spec);
    const cfgPath = join(m.dir, 'tokenizer_config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, chat_template: '{% for i in range(10**9) %}x{% endfor %}' }));
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), 'analyze', '--model', m.dir, '--text', 'hello there', '--chat-template', 'user', '--quiet'], {
      encoding: 'utf8',
      cwd: PROJECT_ROOT,
      timeout: 60_000,
    });
    const ms = Date.now() - t0;
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /did not finish rendering within 2 s/);
    // Process start-up under tsx and the model load take a few seconds of their own on a busy machine.
    assert.ok(ms < 20_000, `took ${ms} ms`);
  });
});
