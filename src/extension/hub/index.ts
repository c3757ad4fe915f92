/** Model download from a Hugging Face hub into the HF cache layout (pure Node, no vscode). */
export { downloadModel, type DownloadOptions, type DownloadResult } from './download';
export { formatBytes } from './blob';
