/**
 * GGUF tensor names → the Hugging Face names the arch adapters read, for the llama-layout
 * families (llama, qwen2, qwen3: `blk.N.attn_q` … `model.layers.N.self_attn.q_proj`). Tensors
 * with no HF counterpart (llama3's precomputed `rope_freqs`) map to null and are not listed.
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

/** Names that are read elsewhere (config) or carry nothing the forward needs. */
const IGNORED = new Set(['rope_freqs.weight']);

export function hfTensorName(gguf: string): string | null | undefined {
  if (IGNORED.has(gguf)) return null;
  const g = GLOBAL[gguf];
  if (g !== undefined) return g;
  const m = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(gguf);
  const part = m ? BLOCK[m[2] as string] : undefined;
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
