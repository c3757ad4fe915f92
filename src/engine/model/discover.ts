/**
 * The models `sinklens models` lists: configured folders and every Hugging Face cache root the
 * environment names (src/node/hfCache decides the roots and what a model folder is, for the
 * extension too), each marked with whether the registry supports its `model_type`; then the GGUF
 * files of the Ollama, LM Studio and llama.cpp stores (src/node/modelStores), marked by whether
 * SinkLens reads their GGUF architecture.
 */
import { listLocalModels, type Env } from '../../node/hfCache';
import { listStoreModels, type ModelStoreId } from '../../node/modelStores';
import { isSupportedModelType } from '../arch/registry';
import { ggufArchitectures } from './gguf/config';

export interface DiscoveredModel {
  name: string;
  dir: string;
  source: 'hf-cache' | 'folder' | ModelStoreId;
  repoId?: string;
  /** The snapshot's commit. */
  revision?: string;
  /** Ref names (`main`, `tags/v1`) pointing at that commit. */
  refs?: string[];
  modelType?: string;
  supported: boolean;
}

export interface DiscoverOptions {
  /** The environment whose cache variables (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME) are read; default process.env. */
  env?: Env;
  /** Model folders, or folders whose direct subfolders are model folders. */
  extraDirs?: readonly string[];
  /** The home folder for `~` and the default cache; default os.homedir(). */
  home?: string;
}

export function discoverModels(opts: DiscoverOptions = {}): DiscoveredModel[] {
  const { folders, cached } = listLocalModels({ env: opts.env ?? process.env, folders: opts.extraDirs ?? [], ...(opts.home !== undefined ? { home: opts.home } : {}) });
  const type = (t: string | undefined) => ({ ...(t !== undefined ? { modelType: t } : {}), supported: isSupportedModelType(t) });
  return [
    ...folders.map((f) => ({ name: f.name, dir: f.dir, source: 'folder' as const, ...type(f.modelType) })),
    ...cached.map((c) => ({ name: c.repo, dir: c.dir, source: 'hf-cache' as const, repoId: c.repo, revision: c.commit, refs: c.refs, ...type(c.modelType) })),
    ...listStoreModels(opts.env ?? process.env, ...(opts.home !== undefined ? [opts.home] : [])).map((m) => ({
      name: m.name,
      dir: m.path,
      source: m.store,
      ...(m.arch !== undefined ? { modelType: m.arch } : {}),
      supported: m.arch !== undefined && ggufArchitectures().includes(m.arch),
    })),
  ];
}
