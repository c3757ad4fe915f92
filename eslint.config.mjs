// Lint rules that make the architecture's boundaries real (see docs/ARCHITECTURE.md).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'worker_threads', 'stream', 'zlib', 'util', 'events'];
const banVscode = { name: 'vscode', message: 'Only src/extension may import vscode.' };
const enginePureNode = { group: ['**/extension/**', '**/webview/**'], message: 'The engine is pure Node.' };
const ortOnlyInRuntime = {
  group: ['onnxruntime-node', 'onnxruntime-common'],
  message: 'Only src/engine/runtime/ may import onnxruntime.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'models/**', '.vscode-test/**', 'test/e2e/.tools/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [{ group: nodeBuiltins, message: 'src/shared is platform-free.' }, ortOnlyInRuntime, { group: ['**/engine/**', '**/extension/**', '**/webview/**', '**/node/**'], message: 'src/shared imports nothing from the other parts.' }] }],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [{ group: nodeBuiltins, message: 'The webview runs in a browser.' }, ortOnlyInRuntime, { group: ['**/engine/**', '**/extension/**', '**/node/**'], message: 'The webview talks to the extension only through src/shared/protocol.' }] }],
    },
  },
  {
    files: ['src/node/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [ortOnlyInRuntime, { group: ['**/engine/**', '**/extension/**', '**/webview/**'], message: 'src/node is shared by the engine and the extension: it imports only Node and src/shared.' }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/runtime/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [ortOnlyInRuntime, enginePureNode] }],
    },
  },
  {
    files: ['src/engine/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode] }],
    },
  },
  {
    files: ['src/engine/metrics/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [{ group: nodeBuiltins, message: 'Metrics are pure functions over arrays: no IO.' }, ortOnlyInRuntime] }],
    },
  },
  {
    // Dependencies point one way: model/ reads files and asks the arch/ registry; arch/ owns the canonical types.
    files: ['src/engine/arch/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [ortOnlyInRuntime, enginePureNode, { group: ['**/model/**', '**/graph/**'], message: 'src/engine/arch never imports model/ or graph/: shared types live in arch/types.ts and weights/types.ts.' }] }],
    },
  },
  {
    files: ['src/engine/weights/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [ortOnlyInRuntime, enginePureNode, { group: ['**/model/**', '**/arch/**', '**/graph/**'], message: 'src/engine/weights holds neutral types only.' }] }],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ortOnlyInRuntime, { group: ['**/engine/**', '!**/shared/**'], message: 'The extension reaches the engine only through its child process (src/shared/protocol/engine.ts).' }, { group: ['**/webview/**'], message: 'The extension talks to the webview only through src/shared/protocol.' }] }],
    },
  },
  {
    files: ['tools/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [ortOnlyInRuntime, { group: ['**/src/**', '**/test/**', '**/bench/**'], message: 'tools/ is plain Node shared by the tests (the oracle included) and the benchmark: it imports nothing from the project.' }] }],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [banVscode], patterns: [{ group: ['**/test/**'], message: 'The benchmark takes shared helpers from tools/, never from test/.' }] }],
    },
  },
  {
    files: ['test/support/reference/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/engine/**'], message: 'The oracle shares no code with the engine (Test Invariant).' }] }],
    },
  },
  {
    files: ['scripts/**/*.{js,mjs}', 'test/e2e/**/*.{js,mjs}', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', window: 'readonly', document: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
