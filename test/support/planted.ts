/**
 * A llama model with a planted massive activation, built by hand so the paper's mechanism is
 * known exactly (tests of the metrics and of ablation need a model where the answer is certain):
 *
 *   dims:  M = 0  BOS marker (only BOS's embedding has it)
 *          S = 1  spike dim (only block k's MLP writes it, only at BOS)
 *          C = 2  constant dim (every token carries 0.5)
 *          G = 3.. generic dims (all random weights read and write only these)
 *
 *   block k MLP, unit 0:  gate and up read M, down writes S  =>  BOS gets a vector of norm ~300 at h[k+1]
 *   every block, every head, rotary slot s = hd/2 - 1 (the slowest RoPE pair, ~constant over 64 positions):
 *          q_s reads C (all queries share it), k_s reads S (only the spiked BOS has it)
 *      =>  after block k every head's keys align with the spike: attention sinks on BOS;
 *          before block k, or with the spike ablated, k_s = 0 and there is no sink.
 *   Values and outputs live in G, so the sink is a no-op, as in real models.
 *
 * Measured over seeds 1-5, k in 0..5, F32/BF16: BOS ratio at h[k+1] >= 56, sink rate 1.0 in every
 * block after k, normalised entropy after k <= 0.03x its pre-spike value. Use prompts of >= 16
 * tokens (BOS first): with fewer queries, a head with no sink already puts ~1/(i+1) >= 0.3 on
 * position 0, so the "no sink" side (before k, or ablated) is only guaranteed <= 0.25 from T = 16.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, writeModelFolder, type GeneratedModel, type ModelSpec, type Rng } from '../../tools/modelgen';
import { fromData } from '../../tools/modelgen/safetensors';
import { vocabLayout } from '../../tools/modelgen/tokenizerFiles';
import { referenceForward } from './reference';

export interface PlantedOptions {
  /** 0-based block whose MLP writes the spike at BOS. */
  spikeBlock: number;
  layers: number;
  seed: number;
  dtype?: 'F32' | 'F16' | 'BF16';
  /**
   * Make the last block's MLP cancel the spike at BOS (default true when at least two blocks
   * follow the spike), so the entropy recovers and the drop is a valley, as in real models. The
   * last block's attention still reads the spike, so its sinks remain.
   */
  recover?: boolean;
}

export interface PlantedModel extends GeneratedModel {
  spikeBlock: number;
  markerDim: number;
  spikeDim: number;
  constantDim: number;
}

const M = 0;
const S = 1;
const C = 2;
const G0 = 3;
const D = 32;
const HEADS = 4;
const KV = 2;
const HD = D / HEADS;
const FF = 64;
const VOCAB = 64;
/** BOS's marker value, and the norm gains that amplify what the planted reads see. */
const MARKER = 2;
const LN2_MARKER_GAIN = 1.5;
const LN1_CONST_GAIN = 3;
/** Spike MLP gains: ||write|| ~ silu(GATE x) * UP x * DOWN with x ~ 7 (BOS's normed, amplified marker). */
const GATE = 1;
const UP = 4;
const DOWN = 5;
/** Sink slot gains: score ~ Q * xn_C * K * sqrt(d) / sqrt(hd). */
const Q_SINK = 1.4;
const K_SINK = 1.4;

/** [rows, cols] with N(0, gain^2 / |G|) entries only where the row and column are both allowed. */
function generic(rng: Rng, rows: number, cols: number, rowOk: (r: number) => boolean, colOk: (c: number) => boolean, gain: number): Float32Array {
  const nG = D - G0;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (!rowOk(r)) continue;
    for (let c = 0; c < cols; c++) if (colOk(c)) out[r * cols + c] = (gain / Math.sqrt(nG)) * rng.normal();
  }
  return out;
}

const isG = (j: number): boolean => j >= G0;
const all = (): boolean => true;

function embedding(rng: Rng, bosId: number): Float32Array {
  const e = new Float32Array(VOCAB * D); // [vocab, d]
  for (let t = 0; t < VOCAB; t++) {
    const scale = t === bosId ? 0.3 : 1;
    for (let j = G0; j < D; j++) e[t * D + j] = (scale / Math.sqrt(D - G0)) * rng.normal();
    e[t * D + C] = 0.5;
    if (t === bosId) e[t * D + M] = MARKER;
  }
  return e;
}

function attentionTensors(rng: Rng, p: string): [string, number[], Float32Array][] {
  const s = HD / 2 - 1; // The slowest rotary pair is (s, s + hd/2).
  const slotFree = (r: number): boolean => r % HD !== s && r % HD !== s + HD / 2;
  const q = generic(rng, HEADS * HD, D, slotFree, isG, 1.5); // [H*hd, d]
  const k = generic(rng, KV * HD, D, slotFree, isG, 1.5); // [KV*hd, d]
  for (let h = 0; h < HEADS; h++) q[(h * HD + s) * D + C] = Q_SINK;
  for (let h = 0; h < KV; h++) k[(h * HD + s) * D + S] = K_SINK;
  const v = generic(rng, KV * HD, D, all, isG, 1); // [KV*hd, d]
  const o = generic(rng, D, HEADS * HD, isG, all, 0.4); // [d, H*hd]
  return [
    [`${p}self_attn.q_proj.weight`, [HEADS * HD, D], q],
    [`${p}self_attn.k_proj.weight`, [KV * HD, D], k],
    [`${p}self_attn.v_proj.weight`, [KV * HD, D], v],
    [`${p}self_attn.o_proj.weight`, [D, HEADS * HD], o],
  ];
}

function mlpTensors(rng: Rng, p: string, spike: boolean, recover = false): [string, number[], Float32Array][] {
  const unit = (r: number): boolean => !((spike || recover) && r === 0);
  const gate = generic(rng, FF, D, unit, isG, 1); // [ff, d]
  const up = generic(rng, FF, D, unit, isG, 1); // [ff, d]
  const down = generic(rng, D, FF, isG, unit, 0.25); // [d, ff]
  if (spike) {
    gate[0 * D + M] = GATE;
    up[0 * D + M] = UP;
    down[S * FF + 0] = DOWN;
  }
  if (recover) {
    // Unit 0 reads the spike dim itself; its down weight is calibrated after a first write.
    gate[0 * D + S] = 1;
    up[0 * D + S] = 1;
  }
  return [
    [`${p}mlp.gate_proj.weight`, [FF, D], gate],
    [`${p}mlp.up_proj.weight`, [FF, D], up],
    [`${p}mlp.down_proj.weight`, [D, FF], down],
  ];
}

/** All-ones norm gain except at one dim: the planted reads see an amplified copy without touching the residual. */
function gain(dim: number, g: number): Float32Array {
  const w = new Float32Array(D).fill(1); // [d]
  w[dim] = g;
  return w;
}

export function generatePlantedModel(dir: string, opts: PlantedOptions): PlantedModel {
  if (!(opts.spikeBlock >= 0 && opts.spikeBlock + 2 <= opts.layers)) throw new Error('planted model: need at least one block after the spike block');
  const spec: ModelSpec = {
    name: `planted-k${opts.spikeBlock}-L${opts.layers}`,
    family: 'llama',
    hidden: D,
    layers: opts.layers,
    heads: HEADS,
    kvHeads: KV,
    intermediate: FF,
    vocab: VOCAB,
    tie: false,
    dtype: opts.dtype ?? 'F32',
    seed: opts.seed,
  };
  const rng = mulberry32(opts.seed);
  const bosId = vocabLayout('llama', VOCAB).bosId;
  const raw: [string, number[], Float32Array][] = [['model.embed_tokens.weight', [VOCAB, D], embedding(rng, bosId)]];
  const recoverBlock = (opts.recover ?? opts.layers - opts.spikeBlock >= 3) ? opts.layers - 1 : -1;
  for (let l = 0; l < opts.layers; l++) {
    const p = `model.layers.${l}.`;
    raw.push([`${p}input_layernorm.weight`, [D], gain(C, LN1_CONST_GAIN)], ...attentionTensors(rng, p));
    raw.push([`${p}post_attention_layernorm.weight`, [D], gain(M, LN2_MARKER_GAIN)], ...mlpTensors(rng, p, l === opts.spikeBlock, l === recoverBlock));
  }
  raw.push(['model.norm.weight', [D], gain(M, 1)]);
  raw.push(['lm_head.weight', [VOCAB, D], generic(rng, VOCAB, D, all, isG, 1)]); // [vocab, d]
  const tensors = () => raw.map(([name, dims, data]) => fromData({ name, dims, data, dtype: spec.dtype ?? 'F32' }));
  let model = writeModelFolder(dir, spec, tensors());
  if (recoverBlock >= 0) {
    calibrateRecovery(dir, bosId, recoverBlock, raw);
    model = writeModelFolder(dir, spec, tensors());
  }
  return { ...model, spikeBlock: opts.spikeBlock, markerDim: M, spikeDim: S, constantDim: C };
}

/**
 * BOS (position 0) only attends to itself, so its residual stream is the same for every prompt:
 * run the oracle on [BOS] with the recovery MLP cut at position 0 to read the exact input of that
 * MLP (h_mid), then choose down[S, 0] so that silu(xn_S) * xn_S * down = -h_mid[S]. Other tokens
 * have nothing in S, so the unit writes 0 for them.
 */
function calibrateRecovery(dir: string, bosId: number, block: number, raw: [string, number[], Float32Array][]): void {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { rms_norm_eps: number };
  const ref = referenceForward(dir, [bosId], { ablateMlp: [block] });
  const hMid = ref.hidden.subarray(ref.L * D, (ref.L + 1) * D); // [d]: h[L][0] = h_mid when the MLP write at 0 is cut
  let ms = 0;
  for (const v of hMid) ms += v * v;
  const xs = (hMid[S] as number) / Math.sqrt(ms / D + cfg.rms_norm_eps); // post_attention_layernorm gain is 1 at S
  const silu = xs / (1 + Math.exp(-xs));
  const down = raw.find(([name]) => name === `model.layers.${block}.mlp.down_proj.weight`);
  if (!down) throw new Error('planted model: recovery down_proj missing');
  down[2][S * FF + 0] = -(hMid[S] as number) / (silu * xs);
}
