/**
 * The reference's reading of Phi3Config, OlmoConfig, Olmo2Config, GraniteConfig and OPTConfig (defaults
 * from the configuration_*.py files) and of longrope (modeling_rope_utils._compute_longrope_parameters).
 */
import { actOf, bool, num, ropeInvFreq, type Json, type RefConfig, type RefMore } from './config';

type MoreFamily = 'phi3' | 'olmo' | 'olmo2' | 'granite' | 'opt';

const PLAIN: RefMore = {
  postLn: false,
  postNorms: false,
  qkNormFull: false,
  clipQkv: null,
  embeddingMultiplier: 1,
  residualMultiplier: 1,
  logitsScaling: 1,
  positionOffset: 0,
  longrope: null,
};

/** inv_freq = 1 / (ext[i] * theta^(2i/dim)) for ext = short or long factors. */
function longropeFreq(theta: number, dim: number, ext: unknown): Float64Array {
  const f = ext as number[];
  if (!Array.isArray(f) || f.length !== dim / 2) throw new Error(`reference: longrope factors must have ${dim / 2} entries`);
  return Float64Array.from({ length: dim / 2 }, (_, i) => 1 / ((f[i] as number) * theta ** ((2 * i) / dim)));
}

/** Phi-3's RoPE: partial rotary and default, linear or longrope ("su") scaling. */
function phiRope(c: Json, hd: number): { invFreq: Float64Array; longrope: RefMore['longrope'] } {
  const theta = num(c, 'rope_theta', 10000);
  const dim = Math.floor(hd * num(c, 'partial_rotary_factor', 1));
  const rs = (c.rope_scaling ?? null) as Json | null;
  const type = rs ? (rs.rope_type ?? rs.type) : 'default';
  if (!rs || (type !== 'longrope' && type !== 'su')) return { invFreq: ropeInvFreq(theta, dim, rs), longrope: null };
  const maxPos = num(c, 'max_position_embeddings', 4096);
  const original = num(c, 'original_max_position_embeddings', 4096);
  const factor = maxPos / original;
  const mscale = typeof rs.attention_factor === 'number' ? rs.attention_factor : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  return { invFreq: longropeFreq(theta, dim, rs.short_factor), longrope: { original, long: longropeFreq(theta, dim, rs.long_factor), mscale } };
}

function llamaStyle(c: Json, family: Exclude<MoreFamily, 'opt'>): RefConfig {
  const d = num(c, 'hidden_size');
  const H = num(c, 'num_attention_heads');
  const hd = typeof c.head_dim === 'number' ? c.head_dim : d / H;
  const rope = family === 'phi3' ? phiRope(c, hd) : { invFreq: ropeInvFreq(num(c, 'rope_theta', 10000), hd, (c.rope_scaling ?? null) as Json | null), longrope: null };
  const granite = family === 'granite';
  return {
    family,
    d,
    L: num(c, 'num_hidden_layers'),
    H,
    KV: num(c, 'num_key_value_heads', H),
    hd,
    ff: num(c, 'intermediate_size'),
    vocab: num(c, 'vocab_size'),
    // OlmoLayerNorm: F.layer_norm without weight or bias, eps 1e-5.
    norm: family === 'olmo' ? 'layer' : 'rms',
    eps: family === 'olmo' ? 1e-5 : num(c, 'rms_norm_eps', granite ? 1e-6 : 1e-5),
    act: actOf(c.hidden_act ?? 'silu'),
    gated: true,
    learnedPositions: false,
    invFreq: rope.invFreq,
    // GraniteAttention: self.scaling = config.attention_multiplier.
    attnScale: () => (granite ? num(c, 'attention_multiplier', 1) : 1 / Math.sqrt(hd)),
    parallelResidual: false,
    qkNorm: family === 'olmo2',
    tied: bool(c, 'tie_word_embeddings', false),
    attnBias: bool(c, 'attention_bias', false),
    mlpBias: bool(c, 'mlp_bias', false),
    more: {
      ...PLAIN,
      postNorms: family === 'olmo2',
      qkNormFull: family === 'olmo2',
      clipQkv: family === 'olmo' && typeof c.clip_qkv === 'number' ? c.clip_qkv : null,
      embeddingMultiplier: granite ? num(c, 'embedding_multiplier', 1) : 1,
      residualMultiplier: granite ? num(c, 'residual_multiplier', 1) : 1,
      logitsScaling: granite ? num(c, 'logits_scaling', 1) : 1,
      longrope: rope.longrope,
    },
  };
}

/** OPTConfig: fc1/fc2 ReLU, LayerNorm eps 1e-5 (nn.LayerNorm default), positions offset 2, tied head. */
function opt(c: Json): RefConfig {
  const d = num(c, 'hidden_size');
  const H = num(c, 'num_attention_heads');
  return {
    family: 'opt',
    d,
    L: num(c, 'num_hidden_layers'),
    H,
    KV: H,
    hd: d / H,
    ff: num(c, 'ffn_dim'),
    vocab: num(c, 'vocab_size'),
    norm: 'layer',
    eps: 1e-5,
    act: actOf(c.activation_function ?? 'relu'),
    gated: false,
    learnedPositions: true,
    invFreq: null,
    attnScale: () => 1 / Math.sqrt(d / H),
    parallelResidual: false,
    qkNorm: false,
    tied: bool(c, 'tie_word_embeddings', true),
    attnBias: true,
    mlpBias: true,
    more: { ...PLAIN, postLn: !bool(c, 'do_layer_norm_before', true), positionOffset: 2 },
  };
}

export function parseMoreConfig(c: Json, family: MoreFamily): RefConfig {
  return family === 'opt' ? opt(c) : llamaStyle(c, family);
}
