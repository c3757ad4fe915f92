/**
 * The Hugging Face cache and model folders, in pure Node: cache roots, the `models--org--name`
 * layout, "is this a model folder", and the scans. Imported by the engine (the CLI's `models`
 * command, display names), the extension (Select Model, resolution, downloads) and the tests;
 * it imports nothing from them.
 */
export { blobPath, incompletePath, refPath, refsDir, repoDir, repoFolderName, repoIdOfFolder, repoIdOfSnapshot, snapshotDir, snapshotsDir } from './layout';
export { checkModelFolder, isModelFolder, modelFolderProblem, type ModelFolderCheck } from './modelFolder';
export { hfHome, hubCacheRoots, primaryHubCache, type Env } from './roots';
export { findCachedModel, listLocalModels, scanAllHubCaches, scanHubCache, scanModelFolders, type CachedModel, type FolderModel, type ListOptions, type LocalModels } from './scan';
