/**
 * `sinklens models` and `sinklens providers`: the lines they print, as pure functions of what was found
 * (the model discovery, the family list of src/shared/families.ts, the binding's execution providers).
 */
import { FAMILIES, WEIGHT_MODES } from '../../shared/families';

export interface ModelRow {
  name: string;
  dir: string;
  source: string;
  modelType?: string;
  supported: boolean;
}

/** One line per model (`!` marks an unsupported architecture), then one line per supported family. */
export function modelListing(rows: readonly ModelRow[]): string[] {
  const lines = rows.map((m) => `${m.supported ? ' ' : '!'} ${m.name.padEnd(40)} ${String(m.modelType ?? '?').padEnd(10)} ${m.source.padEnd(9)} ${m.dir}\n`);
  if (rows.some((m) => !m.supported)) lines.push(`(! = architecture not supported by SinkLens)\n`);
  lines.push(`\nSupported families (every one in weights ${WEIGHT_MODES.join(', ')}):\n`);
  for (const f of FAMILIES) {
    const extra = [f.slidingWindow ? 'sliding window' : '', f.learnedSinks ? 'learned sinks' : '', f.moe ? 'experts (MoE)' : ''].filter(Boolean).join(', ');
    lines.push(`  ${f.name.padEnd(20)} model_type ${f.modelTypes.join(', ').padEnd(20)} ${(extra || '—').padEnd(44)} ${f.gguf.length ? `GGUF ${f.gguf.join(', ')}` : ''}\n`.replace(/ +\n$/, '\n'));
  }
  return lines;
}

/** One line per execution provider the onnxruntime binding lists. */
export function providerListing(providers: readonly { name: string; bundled: boolean }[]): string[] {
  return providers.map((b) => `${b.name.padEnd(10)} ${b.bundled ? 'bundled' : 'needs its provider library (installed by onnxruntime-node on a CUDA host)'}\n`);
}
