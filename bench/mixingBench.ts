/**
 * The mixing probe's cost (`npm run bench`, row "mixing probe"): three runners of the same model in
 * one process — bare, the instrumented graph, and the instrumented graph built without the mixing
 * probe (graph knob `mixing: false`) — run in rotated order each round. The cost is the median over
 * rounds of (probes - probes without mixing) / bare, in wall time and in process CPU time (all
 * threads: the work, whatever the neighbours do).
 */
import { loadModelFiles } from '../src/engine/model/load';
import { buildForwardGraph } from '../src/engine/graph/model';
import { createRunnerWith } from '../src/engine/graph/runner';
import { prepackWeights } from '../src/engine/plan/memory';
import { median, subjectRunner } from './subject';

export const MIXING_CHILD = 'mixing';

export interface MixingCost {
  T: number;
  rounds: number;
  /** Median of (probes - probes without mixing) / bare, wall time. */
  wall: number;
  /** The same in process CPU time. */
  cpu: number;
  /** Median of probes / bare and of probes without mixing / bare (wall). */
  probes: number;
  probesNoMix: number;
  /** Nodes the mixing probe adds to the graph (instrumented graph's nodes minus the knob's). */
  nodes: number;
}

export async function measureMixing(dir: string, T: number, rounds: number, threads: number): Promise<MixingCost> {
  const files = await loadModelFiles(dir);
  const { config, weights } = files;
  const nodes = buildForwardGraph(config, weights, 'full').nodes.length - buildForwardGraph(config, weights, 'full', undefined, { mixing: false }).nodes.length;
  const bare = await subjectRunner(config, weights, threads, 'bare');
  const probes = await subjectRunner(config, weights, threads, 'full');
  const noMix = await createRunnerWith(config, weights, { threads, probes: 'full' }, { graph: { mixing: false }, prepack: prepackWeights(config, 'fp32') });
  files.store.close();
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const fns: Record<string, () => Promise<unknown>> = {
    bare: () => bare.forward({ ids }),
    probes: () => probes.forward({ ids }),
    noMix: () => noMix.forward({ ids }),
  };
  for (const fn of Object.values(fns)) await fn(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  const ratios: Record<'probes' | 'noMix', number[]> = { probes: [], noMix: [] };
  const entries = Object.entries(fns);
  for (let i = 0; i < rounds; i++) {
    const t: Record<string, number> = {};
    const c: Record<string, number> = {};
    for (const [name, fn] of [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)]) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await fn();
      t[name] = performance.now() - t0;
      const u = process.cpuUsage(c0);
      c[name] = u.user + u.system;
    }
    const [tb, tp, tn] = [t.bare, t.probes, t.noMix] as number[];
    const [cb, cp, cn] = [c.bare, c.probes, c.noMix] as number[];
    wall.push((tp - tn) / tb);
    cpu.push((cp - cn) / cb);
    ratios.probes.push(tp / tb);
    ratios.noMix.push(tn / tb);
  }
  await Promise.all([bare.dispose(), probes.dispose(), noMix.dispose()]);
  return { T, rounds, wall: median(wall), cpu: median(cpu), probes: median(ratios.probes), probesNoMix: median(ratios.noMix), nodes };
}

export function mixingRowText(m: MixingCost): string {
  return (
    `  T=${m.T}: mixing probe ${(100 * m.wall).toFixed(1)}% of bare (wall), ${(100 * m.cpu).toFixed(1)}% (CPU) · ` +
    `probes ${m.probes.toFixed(3)}x, probes without mixing ${m.probesNoMix.toFixed(3)}x bare · ${m.nodes} nodes  (${m.rounds} rounds)`
  );
}
