/**
 * GGUF tensor names → the Hugging Face names the arch adapters read (`blk.N.attn_q` …
 * `model.layers.N.self_attn.q_proj`). The llama layout is shared by llama, qwen2, qwen3 and gemma;
 * gemma2/gemma3 and phi3 rename a few block tensors (llama.cpp's gguf-py `constants.py` /
 * `tensor_mapping.py`). Tensors with no HF counterpart (llama3's precomputed `rope_freqs`, phi3's
 * `rope_factors_*`, read into the config instead) map to null and are not listed.
 */

const GLOBAL: Readonly<Record<string, string>> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

const BLOCK: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

/** Gemma 2/3 norm every sublayer's input and output: `ffn_norm` is FFN_PRE_NORM there. */
const GEMMA2_BLOCK: Readonly<Record<string, string>> = {
  ...BLOCK,
  post_attention_norm: 'post_attention_layernorm',
  ffn_norm: 'pre_feedforward_layernorm',
  post_ffw_norm: 'post_feedforward_layernorm',
};

/** Phi-3 keeps HF's fusions: `attn_qkv` (rows q | k | v) and `ffn_up` holding gate_up_proj (rows gate | up). */
const PHI3_BLOCK: Readonly<Record<string, string>> = { ...BLOCK, attn_qkv: 'self_attn.qkv_proj', ffn_up: 'mlp.gate_up_proj' };

const BLOCKS_BY_ARCH: Readonly<Record<string, Readonly<Record<string, string>>>> = { gemma2: GEMMA2_BLOCK, gemma3: GEMMA2_BLOCK, phi3: PHI3_BLOCK };

/** Names that are read elsewhere (config) or carry nothing the forward needs. */
const IGNORED = new Set(['rope_freqs.weight', 'rope_factors_long.weight', 'rope_factors_short.weight']);

/** The HF name of GGUF tensor `gguf` in a file of `general.architecture` `arch`; null = not a weight; undefined = unknown. */
export function hfTensorName(gguf: string, arch = 'llama'): string | null | undefined {
  if (IGNORED.has(gguf)) return null;
  const g = GLOBAL[gguf];
  if (g !== undefined) return g;
  const m = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(gguf);
  const part = m ? (BLOCKS_BY_ARCH[arch] ?? BLOCK)[m[2] as string] : undefined;
  return m && part ? `model.layers.${m[1]}.${part}.${m[3]}` : undefined;
}

/**
 * llama.cpp's converter permutes llama's q/k rows (per head: [2, hd/2] → [hd/2, 2], the
 * interleaved rope layout). This undoes it: HF row h·hd + half·hd/2 + i = GGUF row h·hd + 2i + half.
 * `cols` is the row length (1 for a bias).
 */
export function unpermuteRows(x: Float32Array, heads: number, cols: number): Float32Array {
  const rows = x.length / cols;
  const hd = rows / heads;
  const half = hd / 2;
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < half; i++) {
        const src = (h * hd + 2 * i + s) * cols;
        out.set(x.subarray(src, src + cols), (h * hd + s * half + i) * cols);
      }
    }
  }
  return out;
}
