/**
 * onnxruntime's node order for the instrumented graph: each block's small probes (mixing, BOS
 * writes, learned-sink share) run right after that block, not after the whole forward
 * (graph/blockProbes.ts). Read from onnxruntime's own per-node profile of one run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createRunnerWith } from '../../../src/engine/graph/runner';
import { loadModelFiles } from '../../../src/engine/model/load';
import { ARCH_SPECS, GPT_OSS_SPECS, generateModel, randomIds, type ModelSpec } from '../../support/genModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-order-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
}

/** Node names of one run in execution order, from onnxruntime's profile of the session. */
async function executionOrder(spec: ModelSpec): Promise<string[]> {
  const dir = join(root, spec.name);
  generateModel(dir, spec);
  const files = await loadModelFiles(dir);
  const prefix = join(root, `${spec.name}-profile`);
  const runner = await createRunnerWith(files.config, files.weights, { threads: 1, probes: 'full' }, { profilePrefix: prefix });
  files.store.close();
  await runner.forward({ ids: randomIds(12, spec.vocab, 5) });
  await runner.dispose(); // writes the profile
  const file = readdirSync(root).find((f) => f.startsWith(`${spec.name}-profile`) && f.endsWith('.json'));
  assert.ok(file, 'onnxruntime wrote a profile');
  const events = JSON.parse(readFileSync(join(root, file), 'utf8')) as ProfileEvent[];
  return events
    .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
    .sort((a, b) => a.ts - b.ts)
    .map((e) => e.name.replace(/_kernel_time$/, ''));
}

function assertInterleaved(order: readonly string[], layers: number, probeNode: (l: number) => RegExp): void {
  const at = (re: RegExp): number => order.findIndex((n) => re.test(n));
  for (let l = 0; l < layers; l++) {
    const probe = at(probeNode(l));
    const row = at(new RegExp(`^/model/probes/blocks\\.${l}/row/Concat$`));
    assert.ok(probe >= 0 && row >= 0, `block ${l}'s probe and row ran`);
    assert.ok(probe > at(new RegExp(`^/model/layers\\.${l}/attn/`)), `block ${l}'s probe follows its attention`);
    if (l + 1 < layers) {
      const next = at(new RegExp(`^/model/layers\\.${l + 1}/attn/(q_proj|k_proj|v_proj)`));
      assert.ok(row < next, `block ${l}'s probes (node ${row}) run before block ${l + 1}'s projections (node ${next}), not after the forward`);
    }
  }
}

test('each block’s mixing and BOS-write probes run before the next block starts', async () => {
  const spec: ModelSpec = { ...(ARCH_SPECS[0] as ModelSpec), name: 'order-llama', layers: 4 };
  const order = await executionOrder(spec);
  assertInterleaved(order, 4, (l) => new RegExp(`^/model/layers\\.${l}/attn/mixing/`));
  assertInterleaved(order, 4, (l) => new RegExp(`^/model/layers\\.${l}/probes/bos_writes/`));
});

test('with learned sinks (gpt-oss) the sink-share probe is in the same per-block rows', async () => {
  const spec = GPT_OSS_SPECS.find((s) => !s.mxfp4) ?? GPT_OSS_SPECS[0];
  assert.ok(spec, 'a gpt-oss spec');
  const order = await executionOrder({ ...spec, name: 'order-gptoss' });
  assertInterleaved(order, spec.layers, (l) => new RegExp(`^/model/layers\\.${l}/probes/bos_writes/`));
});
