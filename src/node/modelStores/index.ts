/**
 * GGUF models outside the Hugging Face cache, in pure Node: the Ollama, LM Studio and llama.cpp
 * stores (stores.ts) and "is this a GGUF file" (ggufFile.ts). Imported by the engine (`sinklens
 * models`, the loader's file-or-folder choice) and the extension (Select Model); imports neither.
 */
export { ggufArchitecture, isGgufFile } from './ggufFile';
export { listStoreModels, llamaCppCache, lmStudioRoots, ollamaModelBlob, ollamaRoot, scanLlamaCpp, scanLmStudio, scanOllama, type ModelStoreId, type StoreModel } from './stores';
