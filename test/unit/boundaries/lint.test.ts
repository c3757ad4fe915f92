/**
 * The architecture's boundaries are lint errors, not conventions: feed eslint (with the project's
 * config) small sources placed in each part and check which imports it rejects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../../support/fixtures';

const eslint = new ESLint({ cwd: PROJECT_ROOT });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [r] = await eslint.lintText(source, { filePath: `${PROJECT_ROOT}/${file}` });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: [string, string, boolean][] = [
  ['src/engine/x.ts', "import * as vscode from 'vscode';", true],
  ['src/engine/x.ts', "import { InferenceSession } from 'onnxruntime-node';", true],
  ['src/engine/runtime/x.ts', "import { InferenceSession } from 'onnxruntime-node';", false],
  ['src/engine/x.ts', "import { readFileSync } from 'node:fs';", false],
  ['src/engine/metrics/x.ts', "import { readFileSync } from 'node:fs';", true],
  ['src/shared/x.ts', "import { readFileSync } from 'node:fs';", true],
  ['src/shared/x.ts', "import * as vscode from 'vscode';", true],
  ['src/webview/x.ts', "import * as vscode from 'vscode';", true],
  ['src/webview/x.ts', "import { join } from 'path';", true],
  ['src/webview/x.ts', "import { Engine } from '../engine/api';", true],
  ['src/extension/x.ts', "import { Engine } from '../engine/api';", true],
  ['src/extension/x.ts', "import * as vscode from 'vscode';", false],
  ['src/extension/x.ts', "import type { AnalysisResult } from '../shared/result';", false],
  ['src/extension/models/x.ts', "import { listLocalModels } from '../../node/hfCache';", false],
  ['src/engine/cli/x.ts', "import { listLocalModels } from '../../node/hfCache';", false],
  ['src/engine/arch/x.ts', "import type { WeightStore } from '../model/safetensors';", true],
  ['src/engine/arch/x.ts', "import { loadConfig } from '../model/config';", true],
  ['src/engine/arch/x.ts', "import type { WeightStore } from '../weights/types';", false],
  ['src/engine/arch/x.ts', "import * as vscode from 'vscode';", true],
  ['src/engine/model/x.ts', "import { getAdapter } from '../arch/registry';", false],
  ['src/engine/weights/x.ts', "import type { CanonicalConfig } from '../arch/types';", true],
  ['src/shared/x.ts', "import { listLocalModels } from '../node/hfCache';", true],
  ['src/webview/x.ts', "import { listLocalModels } from '../node/hfCache';", true],
  ['src/node/hfCache/x.ts', "import { readdirSync } from 'node:fs';", false],
  ['src/node/hfCache/x.ts', "import { SinkLensError } from '../../shared/errors';", false],
  ['src/node/hfCache/x.ts', "import * as vscode from 'vscode';", true],
  ['src/node/hfCache/x.ts', "import { InferenceSession } from 'onnxruntime-node';", true],
  ['src/node/hfCache/x.ts', "import { getAdapter } from '../../engine/arch/registry';", true],
  ['src/node/hfCache/x.ts', "import { Ctx } from '../../extension/ctx';", true],
  ['tools/modelgen/x.ts', "import { SinkLensError } from '../../src/shared/errors';", true],
  ['tools/modelgen/x.ts', "import { ARCH_SPECS } from '../../test/support/genModel';", true],
  ['tools/modelgen/x.ts', "import { writeFileSync } from 'node:fs';", false],
  ['test/support/reference/x.ts', "import { openWeights } from '../../../src/engine/model/safetensors';", true],
  ['test/support/reference/x.ts', "import { f16BitsToF32 } from '../../../tools/modelgen/float16';", false],
  ['bench/x.ts', "import { ARCH_SPECS } from '../test/support/genModel';", true],
  ['bench/x.ts', "import { writeRandomModel } from '../tools/modelgen';", false],
];

describe('boundaries are enforced by lint', () => {
  for (const [file, source, rejected] of cases) {
    test(`${file}: ${source} -> ${rejected ? 'rejected' : 'allowed'}`, async () => {
      const errors = await importErrors(file, `${source}\nexport {};\n`);
      assert.equal(errors.length > 0, rejected, errors.join('; ') || 'no restricted-import error');
    });
  }
});
