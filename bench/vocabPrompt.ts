/** A prompt of about `tokens` tokens from a model's own vocabulary (one word ≈ one token), for the scale and memory benches. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function vocabPrompt(model: string, tokens: number): string {
  const vocab = (JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const words = Object.keys(vocab).filter((w) => /^[a-z]{3,}$/.test(w));
  return Array.from({ length: tokens + 16 }, (_, i) => words[(i * 7919) % words.length]).join(' ');
}
