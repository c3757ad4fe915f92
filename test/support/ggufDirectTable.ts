/**
 * The table of docs/gguf.md "Quantised tensors in the graph": per GGUF type and weights setting,
 * what the linears become (taken as stored or quantised again) and the max deviation of every
 * headline metric from the fp32 run of the same file (its dequantised weights), on sinklens-tiny
 * and on a generated llama whose every matrix (head included) is stored in the type.
 *   node --import tsx test/support/ggufDirectTable.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLinearSources } from '../../src/engine/graph/linearSources';
import { loadModelFiles } from '../../src/engine/model/load';
import { fixturePath } from './fixtures';
import { generateModel } from './genModel';
import { writeGgufModel } from './ggufModel';
import { DEVIATION_KEYS, FIXTURE_TEXTS, generatedPrompts, measurePrecisions, type Variant } from './precision';

const TYPES = ['Q4_0', 'Q8_0', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
const MODES: Variant[] = [
  { label: 'int8', weights: 'int8' },
  { label: 'int4', weights: 'int4' },
];

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'sinklens-gguf-table-'));
  try {
    const gen = generateModel(join(tmp, 'gen'), { name: 'llama-d256', family: 'llama', hidden: 256, layers: 3, heads: 4, kvHeads: 2, intermediate: 768, vocab: 96, tie: false, seed: 31 });
    const sources = [
      { name: 'sinklens-tiny', dir: fixturePath('sinklens-tiny'), texts: FIXTURE_TEXTS },
      { name: 'generated llama d256', dir: gen.dir, texts: generatedPrompts(gen) },
    ];
    console.log(`| model | type | mode | linears | ${DEVIATION_KEYS.join(' | ')} |`);
    console.log(`|---|---|---|---|${DEVIATION_KEYS.map(() => '---').join('|')}|`);
    for (const s of sources) {
      for (const type of TYPES) {
        const path = writeGgufModel(s.dir, join(tmp, `${type}.gguf`), { quant: type }).path;
        const f = await loadModelFiles(path);
        f.store.close();
        const devs = await measurePrecisions(path, s.texts, MODES);
        for (const [label, d] of devs) {
          const how = describeLinearSources(f.weights, label as 'int8' | 'int4') ?? '';
          console.log(`| ${s.name} | ${type} | ${label} | ${how} | ${DEVIATION_KEYS.map((k) => d[k].toExponential(1)).join(' | ')} |`);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
