/**
 * What Select Model lists under "Hugging Face cache", vscode-free: the cache snapshots of
 * src/node/hfCache's `listLocalModels` (the same scan `sinklens models` uses), plus the extension's
 * own download folder, each turned into a `defaultModel` value `org/name@ref`; and the GGUF files of
 * the Ollama, LM Studio and llama.cpp stores (the same scan as `sinklens models`), by their path.
 */
import { listLocalModels, type CachedModel, type Env } from '../../node/hfCache';
import type { StoreModel } from '../../node/modelStores';
import { familyOf, familySummary } from '../../shared/families';

export interface HubModelChoice {
  /** `org/name`. */
  label: string;
  /** The refs pointing at the snapshot, else its short commit. */
  description: string;
  /** The snapshot folder. */
  detail: string;
  /** The `sinklens.defaultModel` value that selects it. */
  value: string;
}

/** What SinkLens does with a model of this family: its summary, or that the family is not supported. */
function support(f: ReturnType<typeof familyOf>, type: string | undefined, what = 'model_type'): string {
  if (f) return familySummary(f);
  return type === undefined ? 'unknown architecture' : `${what} ${type} not supported`;
}

/** Every complete snapshot in the cache roots of `env`, then in `extraRoots`. */
export function cachedHubModels(env: Env, extraRoots: readonly string[] = [], home?: string): CachedModel[] {
  return listLocalModels({ env, extraRoots, ...(home !== undefined ? { home } : {}) }).cached;
}

export function hubModelChoices(cached: readonly CachedModel[]): HubModelChoice[] {
  return cached.map((c) => ({
    label: c.repo,
    description: `${c.refs.length ? c.refs.join(', ') : c.commit.slice(0, 10)} · ${support(familyOf(c.modelType), c.modelType)}`,
    detail: c.dir,
    value: `${c.repo}@${c.refs[0] ?? c.commit}`,
  }));
}

/** Select Model's GGUF entries: the Ollama, LM Studio and llama.cpp stores (src/node/modelStores). */
export function storeModelChoices(models: readonly StoreModel[]): HubModelChoice[] {
  const label: Record<StoreModel['store'], string> = { ollama: 'Ollama', lmstudio: 'LM Studio', 'llama.cpp': 'llama.cpp' };
  return models.map((m) => ({
    label: m.name,
    description: `${label[m.store]} · ${(m.bytes / 2 ** 30).toFixed(1)} GiB · ${support(familyOf(m.arch, true), m.arch, 'GGUF architecture')}`,
    detail: m.path,
    value: m.path,
  }));
}
