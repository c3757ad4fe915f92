/**
 * The accuracy table of docs/PERFORMANCE.md: the max deviation of every headline metric from fp32
 * per weight precision, on both fixtures and generated families (several prompts each), and the
 * quantisation-scheme variants it was chosen from (zero points or not, accuracy_level 0 vs 4).
 *   node --import tsx test/support/precisionTable.ts [--variants]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEVIATION_KEYS, FIXTURE_TEXTS, GENERATED, generatedPrompts, measurePrecisions, type Variant } from './precision';
import { ARCH_SPECS, generateModel } from './genModel';

const FIXTURES = process.env.SINKLENS_FIXTURES ?? resolve(__dirname, '..', '..', 'shared', 'fixtures');

const MODES: Variant[] = [
  { label: 'fp16', weights: 'fp16' },
  { label: 'int8', weights: 'int8' },
  { label: 'int4', weights: 'int4' },
];
const SCHEMES: Variant[] = [
  { label: 'int8 sym L4', weights: 'int8', quant: { zeroPoints: { 4: true, 8: false }, accuracyLevel: 4 } },
  { label: 'int8 asym L4', weights: 'int8', quant: { zeroPoints: { 4: true, 8: true }, accuracyLevel: 4 } },
  { label: 'int8 sym L0', weights: 'int8', quant: { zeroPoints: { 4: true, 8: false }, accuracyLevel: 0 } },
  { label: 'int4 sym L4', weights: 'int4', quant: { zeroPoints: { 4: false, 8: false }, accuracyLevel: 4 } },
  { label: 'int4 asym L4', weights: 'int4', quant: { zeroPoints: { 4: true, 8: false }, accuracyLevel: 4 } },
  { label: 'int4 asym L0', weights: 'int4', quant: { zeroPoints: { 4: true, 8: false }, accuracyLevel: 0 } },
  { label: 'int4 asym L4 head4', weights: 'int4', quant: { zeroPoints: { 4: true, 8: false }, accuracyLevel: 4, headBitsInInt4: 4 } },
];

async function main(): Promise<void> {
  const variants = process.argv.includes('--variants') ? SCHEMES : MODES;
  const tmp = mkdtempSync(join(tmpdir(), 'sinklens-precision-'));
  try {
    const models: { name: string; dir: string; texts: string[] }[] = [
      { name: 'sinklens-tiny', dir: join(FIXTURES, 'sinklens-tiny'), texts: FIXTURE_TEXTS },
      { name: 'stories260k', dir: join(FIXTURES, 'stories260k'), texts: FIXTURE_TEXTS },
    ];
    for (const name of GENERATED) {
      const spec = ARCH_SPECS.find((s) => s.name === name);
      if (!spec) throw new Error(`no generated spec ${name}`);
      const m = generateModel(join(tmp, name), spec);
      models.push({ name, dir: m.dir, texts: generatedPrompts(m) });
    }
    console.log(`| model | mode | ${DEVIATION_KEYS.join(' | ')} |`);
    console.log(`|---|---|${DEVIATION_KEYS.map(() => '---').join('|')}|`);
    for (const m of models) {
      const devs = await measurePrecisions(m.dir, m.texts, variants);
      for (const [label, d] of devs) console.log(`| ${m.name} | ${label} | ${DEVIATION_KEYS.map((k) => d[k].toExponential(1)).join(' | ')} |`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
