/**
 * Select Model, Add Model Folder and Download Model. The model choice is stored in
 * `sinklens.defaultModel` ('' = demo, a configured name, a folder, or `org/name@rev`), so the
 * settings remain the single source of truth.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SinkLensError } from '../../shared/errors';
import { isHubModel, type ModelEntry } from '../config';
import type { Ctx } from '../ctx';
import { downloadModel, formatBytes } from '../hub';
import { findCachedModel, modelFolderProblem } from '../../node/hfCache';
import { isGgufFile, listStoreModels } from '../../node/modelStores';
import { hubModelChoices, storeModelChoices } from './modelList';
import { DEMO_LABEL, parseRepoRef } from './resolve';

interface ModelPick extends vscode.QuickPickItem {
  value?: string;
  action?: 'add' | 'addGguf' | 'download';
  /** A GGUF model of a store: selected under its store name (Ollama blobs have only a hash for a file name). */
  gguf?: { name: string; path: string };
}

/** With `value` (a defaultModel value: '' = demo, a name, a folder, `org/name@rev`) the picker is skipped. */
export async function selectModel(ctx: Ctx, value?: string): Promise<void> {
  if (typeof value === 'string') {
    await ctx.updateSetting('defaultModel', value);
    return;
  }
  const current = ctx.settings.defaultModel;
  const items = modelItems(ctx, current);
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(folder-opened) Add Model Folder…', action: 'add' });
  items.push({ label: '$(file-binary) Add GGUF File…', action: 'addGguf' });
  items.push({ label: '$(cloud-download) Download Model…', action: 'download' });
  const pick = await vscode.window.showQuickPick(items, { title: 'SinkLens: Select Model', placeHolder: 'The model SinkLens analyses prompts with' });
  if (!pick) return;
  if (pick.action === 'add') {
    await addModelFolder(ctx);
    return;
  }
  if (pick.action === 'addGguf') {
    const file = await pickGguf();
    if (file) await addModelFolder(ctx, file);
    return;
  }
  if (pick.action === 'download') {
    await downloadModelCommand(ctx);
    return;
  }
  if (pick.gguf) {
    await useGgufModel(ctx, pick.gguf.name, pick.gguf.path);
    return;
  }
  if (pick.value === undefined) return;
  await ctx.updateSetting('defaultModel', pick.value);
}

/** The models Select Model lists (demo, configured, Hugging Face cache, GGUF stores), `current` checked. */
function modelItems(ctx: Ctx, current: string): ModelPick[] {
  const cached = ctx.cachedHubModels();
  const mark = (v: string): string => (v === current ? '$(check) ' : '');
  const items: ModelPick[] = [{ label: `${mark('')}${DEMO_LABEL}`, description: 'ships with SinkLens', value: '' }];
  const configured = ctx.settings.models;
  if (configured.length) items.push({ label: 'Configured (sinklens.models)', kind: vscode.QuickPickItemKind.Separator });
  for (const m of configured) items.push({ label: `${mark(m.name)}${m.name}`, description: describeEntry(m, ctx), value: m.name });
  if (cached.length) items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator });
  for (const c of hubModelChoices(cached)) items.push({ ...c, label: `${mark(c.value)}${c.label}` });
  const stored = storeModelChoices(listStoreModels(process.env));
  if (stored.length) items.push({ label: 'GGUF (Ollama, LM Studio, llama.cpp)', kind: vscode.QuickPickItemKind.Separator });
  const byPath = new Map(configured.flatMap((m) => (isHubModel(m) ? [] : [[m.path, m.name] as const])));
  for (const c of stored) {
    const v = byPath.get(c.value) ?? c.value;
    items.push({ ...c, label: `${mark(v)}${c.label}`, gguf: { name: c.label, path: c.value } });
  }
  return items;
}

/**
 * Picks a model as Select Model lists them, without selecting it: the value (a defaultModel value) for a second
 * model to run beside the current one (Compare Across Models). A GGUF store model is picked by its path.
 */
export async function pickModelValue(ctx: Ctx, title: string): Promise<string | undefined> {
  const current = ctx.settings.defaultModel;
  const items = modelItems(ctx, current).filter((i) => i.kind === vscode.QuickPickItemKind.Separator || (i.value ?? i.gguf?.path) !== current);
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'The second model; the current model runs the same prompt' });
  return pick ? (pick.value ?? pick.gguf?.path) : undefined;
}

/** Adds `{name, path}` to sinklens.models (unless that path is there) and selects it. */
async function useGgufModel(ctx: Ctx, name: string, file: string): Promise<void> {
  const existing = ctx.settings.models.find((m) => !isHubModel(m) && m.path === file);
  const chosen = existing?.name ?? uniqueName(name, ctx.settings.models);
  if (!existing) await ctx.updateSetting('models', [...rawModels(), { name: chosen, path: file }]);
  await ctx.updateSetting('defaultModel', chosen);
}

function describeEntry(m: ModelEntry, ctx: Ctx): string {
  if (!isHubModel(m)) return m.path;
  const hit = findCachedModel(ctx.cachedHubModels(), m.repo, m.revision);
  return `${m.repo}@${m.revision}${hit ? '' : ' (not downloaded)'}`;
}

/** With `folder` (a model folder or a GGUF file) the open dialog is skipped. Returns the model's name when added. */
export async function addModelFolder(ctx: Ctx, folder?: string): Promise<string | undefined> {
  const dir = typeof folder === 'string' ? folder : await pickFolder();
  if (!dir) return undefined;
  const gguf = isGgufFile(dir);
  const problem = gguf ? null : modelFolderProblem(dir);
  if (problem) {
    void vscode.window.showErrorMessage(`SinkLens: ${problem}`);
    return undefined;
  }
  const name = uniqueName(gguf ? path.basename(dir).replace(/\.gguf$/i, '') : path.basename(dir), ctx.settings.models);
  await ctx.updateSetting('models', [...rawModels(), { name, path: dir }]);
  await ctx.updateSetting('defaultModel', name);
  void vscode.window.showInformationMessage(`SinkLens: added and selected model "${name}".`);
  return name;
}

async function pickFolder(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Add Model Folder',
    title: 'Select a folder with config.json, *.safetensors and tokenizer.json',
  });
  return uris?.[0]?.fsPath;
}

async function pickGguf(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, filters: { 'GGUF model': ['gguf'] }, openLabel: 'Add GGUF File', title: 'Select a .gguf model file' });
  return uris?.[0]?.fsPath;
}

/**
 * With `repoArg` (`org/name[@rev]`) the input box is skipped. Resolves to the snapshot folder, or
 * undefined when cancelled; the "Use This Model" offer is not awaited, so scripted calls return.
 */
export async function downloadModelCommand(ctx: Ctx, repoArg?: string): Promise<string | undefined> {
  const input = typeof repoArg === 'string' ? repoArg : await vscode.window.showInputBox({
    title: 'SinkLens: Download Model',
    prompt: `Hugging Face repo id, optionally @revision (from ${ctx.settings.hubEndpoint})`,
    placeHolder: 'HuggingFaceTB/SmolLM2-135M or org/name@v1.0',
    validateInput: (v) => (parseRepoRef(v) ? undefined : 'Enter a repo id like "org/name" or "org/name@revision".'),
  });
  const ref = input === undefined ? undefined : parseRepoRef(input);
  if (!ref) {
    if (input !== undefined) void vscode.window.showErrorMessage(`SinkLens: "${input}" is not a repo id like "org/name" or "org/name@revision".`);
    return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Downloading ${ref.repo}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      let shown = 0;
      try {
        return await downloadModel({
          repoId: ref.repo,
          revision: ref.revision,
          endpoint: ctx.settings.hubEndpoint,
          allowInsecureHttp: ctx.settings.hubAllowInsecureHttp,
          destRoot: ctx.downloadRoot,
          ...(process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {}),
          signal: ac.signal,
          onProgress: (done, total, file) => {
            const pct = total > 0 ? (100 * done) / total : 0;
            progress.report({ message: `${formatBytes(done)} / ${formatBytes(total)} · ${file}`, increment: pct - shown });
            shown = pct;
          },
        });
      } catch (e) {
        if (ac.signal.aborted || SinkLensError.is(e, 'cancelled')) return undefined;
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
  if (!result) {
    void vscode.window.showInformationMessage(`Download of ${ref.repo} cancelled; the next download resumes where it stopped.`);
    return undefined;
  }
  ctx.log.info(`downloaded ${ref.repo}@${ref.revision} -> ${result.dir} (${formatBytes(result.bytesTotal)})`);
  ctx.refreshModels();
  void vscode.window.showInformationMessage(`Downloaded ${ref.repo} (${formatBytes(result.bytesTotal)}).`, 'Use This Model').then(async (pick) => {
    if (pick === 'Use This Model') await useHubModel(ctx, ref.repo, ref.revision);
  });
  return result.dir;
}

/** Adds `{name: repo, repo, revision}` to sinklens.models (unless present) and selects it. */
export async function useHubModel(ctx: Ctx, repo: string, revision: string): Promise<void> {
  const existing = ctx.settings.models.find((m) => isHubModel(m) && m.repo === repo && m.revision === revision);
  const name = existing?.name ?? uniqueName(revision === 'main' ? repo : `${repo}@${revision}`, ctx.settings.models);
  if (!existing) await ctx.updateSetting('models', [...rawModels(), { name, repo, revision }]);
  await ctx.updateSetting('defaultModel', name);
}

function rawModels(): unknown[] {
  const v = vscode.workspace.getConfiguration('sinklens').get<unknown>('models');
  return Array.isArray(v) ? v : [];
}

function uniqueName(base: string, models: ModelEntry[]): string {
  const names = new Set(models.map((m) => m.name));
  let name = base;
  for (let i = 2; names.has(name); i++) name = `${base} (${i})`;
  return name;
}
