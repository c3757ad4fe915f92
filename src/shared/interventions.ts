/**
 * Interventions in their written form (the CLI's `--intervene`, notes, the panel), pure:
 *   TARGET@BLOCKS[:bos|:pos=N]=OP   TARGET = mlp | attn, BLOCKS = 3 | 2-4 | 1,3, OP = zero | mean | scale:K
 *   head@B.H=zero                   query head H of block B off (before o_proj) at every position
 * The position defaults to bos (position 0). See docs/METRICS.md ("Interventions").
 */
import { SinkLensError } from './errors';
import type { Intervention, WriteIntervention } from './result';

export const INTERVENE_SYNTAX = 'mlp|attn@BLOCKS[:bos|:pos=N]=zero|mean|scale:K or head@B.H=zero (e.g. mlp@3:bos=zero)';

const WRITE = /^(mlp|attn)@([0-9][0-9,-]*)(?::(bos|pos=([0-9]+)))?=(zero|mean|scale:(.+))$/;
const HEAD = /^head@([0-9]+)\.([0-9]+)=zero$/;

function bad(spec: string, why: string): never {
  throw new SinkLensError('badRequest', `--intervene '${spec}': ${why}; expected ${INTERVENE_SYNTAX}.`);
}

/** '3' | '2-4' | '1,3,5-6' -> sorted distinct block indices. */
function parseBlocks(spec: string, s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) bad(spec, `'${s}' is not a block list`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) bad(spec, `the block range ${part} runs backwards`);
    if (hi - lo > 4096) bad(spec, `the block range ${part} is too long`);
    for (let b = lo; b <= hi; b++) out.add(b);
  }
  return [...out].sort((a, b) => a - b);
}

/** Parses one `--intervene` value; a malformed one throws badRequest with one line saying what is expected. */
export function parseIntervention(raw: string): Intervention {
  const spec = raw.trim();
  const h = HEAD.exec(spec);
  if (h) return { target: 'head', block: Number(h[1]), head: Number(h[2]), op: 'zero' };
  if (spec.startsWith('head@')) bad(spec, 'a head is written B.H and can only be zeroed');
  const m = WRITE.exec(spec);
  if (!m) bad(spec, 'not an intervention');
  const [, target, blocks, , pos, opText, k] = m;
  const out: WriteIntervention = {
    target: target as 'mlp' | 'attn',
    blocks: parseBlocks(spec, blocks as string),
    position: pos === undefined ? 'bos' : Number(pos),
    op: opText === 'zero' ? 'zero' : opText === 'mean' ? 'mean' : 'scale',
  };
  if (out.op === 'scale') {
    const factor = Number(k);
    if (k === undefined || k.trim() === '' || !Number.isFinite(factor)) bad(spec, `scale takes a finite number (got '${k ?? ''}')`);
    out.factor = factor;
  }
  return out;
}

/** At most one intervention per (component, block): a second would overwrite the first in the graph. */
export function checkInterventions(list: readonly Intervention[]): void {
  const seen = new Set<string>();
  for (const i of list) {
    const keys = i.target === 'head' ? [`head@${i.block}.${i.head}`] : i.blocks.map((b) => `${i.target}@${b}`);
    for (const key of keys) {
      if (seen.has(key)) throw new SinkLensError('badRequest', `Two interventions on ${key}: give at most one per block and component (or head).`);
      seen.add(key);
    }
  }
}

/** The written form of an intervention (parseIntervention's inverse). */
export function interventionSpec(i: Intervention): string {
  if (i.target === 'head') return `head@${i.block}.${i.head}=zero`;
  const pos = i.position === 'bos' ? 'bos' : `pos=${i.position}`;
  return `${i.target}@${blockList(i.blocks)}:${pos}=${i.op === 'scale' ? `scale:${i.factor ?? 1}` : i.op}`;
}

/** An intervention in words: "zero the MLP write at BOS in block 3", "head 1 of block 3 off". */
export function describeIntervention(i: Intervention): string {
  if (i.target === 'head') return `head ${i.head} of block ${i.block} off`;
  const what = `the ${i.target === 'mlp' ? 'MLP' : 'attention'} write at ${i.position === 'bos' ? 'BOS' : `token ${i.position}`}`;
  const op = i.op === 'zero' ? `zero ${what}` : i.op === 'mean' ? `replace ${what} by its mean over the other positions` : `scale ${what} by ${i.factor ?? 1}`;
  return `${op} in block${i.blocks.length > 1 ? 's' : ''} ${blockList(i.blocks)}`;
}

/** [2, 3, 4, 7] -> '2-4,7'. */
export function blockList(blocks: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i;
    while (j + 1 < blocks.length && (blocks[j + 1] as number) === (blocks[j] as number) + 1) j++;
    parts.push(j > i ? `${blocks[i]}-${blocks[j]}` : String(blocks[i]));
    i = j + 1;
  }
  return parts.join(',');
}
