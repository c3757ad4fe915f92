/**
 * Code lenses on prompt files (setting `sinklens.promptFiles`): one at the top for the whole
 * prompt (front matter excluded), one per `---` section and, in markdown, one per fenced prompt
 * block. A lens shows the summary of the result for the section's current text (looked up by
 * content hash, so any edit turns it back into "Analyze with SinkLens").
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { promptSections, type PromptSection } from './promptSections';
import { summaryLine, summaryTooltip } from './summary';

export const ANALYZE_SECTION_COMMAND = 'sinklens.analyzeSection';

/** Whether `doc` is a prompt file by the `sinklens.promptFiles` globs. */
export function isPromptDocument(doc: vscode.TextDocument, globs: string[]): boolean {
  if (doc.uri.scheme === 'output' || doc.uri.scheme === 'vscode-scm') return false;
  if (doc.languageId === 'prompt' || doc.languageId === 'prompty') return true;
  return globs.length > 0 && vscode.languages.match(globs.map((pattern) => ({ pattern })), doc) > 0;
}

export function isMarkdown(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'markdown' || /\.md$/i.test(doc.fileName);
}

/** The lens targets of a prompt document, with their document ranges. */
export function documentSections(doc: vscode.TextDocument): { section: PromptSection; range: vscode.Range }[] {
  return promptSections(doc.getText(), { markdown: isMarkdown(doc) }).map((section) => ({
    section,
    range: new vscode.Range(doc.positionAt(section.start), doc.positionAt(section.end)),
  }));
}

export class PromptCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subs = [
      this.changeEmitter,
      ctx.onDidAnalyze(() => this.changeEmitter.fire()),
      ctx.onDidChangeSettings(() => this.changeEmitter.fire()),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.ctx.settings;
    if (!s.codeLensEnabled || !isPromptDocument(doc, s.promptFiles)) return [];
    const model = this.ctx.resolveModel();
    const modelDir = model.ok ? model.model.dir : undefined;
    return documentSections(doc).map(({ section, range }) => {
      const key = modelDir === undefined ? undefined : this.ctx.keyFor(section.text, modelDir);
      const result = key === undefined ? undefined : this.ctx.cache.peek(key);
      const line = section.kind === 'document' ? 0 : range.start.line;
      const lensRange = new vscode.Range(line, 0, line, 0);
      const args = [doc.uri, range];
      return new vscode.CodeLens(lensRange, {
        title: result ? summaryLine(result.summary) : 'Analyze with SinkLens',
        tooltip: result ? summaryTooltip(result) : `Analyse this ${KIND_TEXT[section.kind]} (${section.text.length} characters) with ${model.ok ? model.model.label : 'SinkLens'}`,
        command: ANALYZE_SECTION_COMMAND,
        arguments: args,
      });
    });
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
  }
}

const KIND_TEXT: Record<PromptSection['kind'], string> = { document: 'prompt', section: 'section', fence: 'fenced block' };
