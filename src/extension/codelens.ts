/**
 * Code lenses on prompt files (setting `sinklens.promptFiles`): one at the top for the whole
 * prompt (front matter excluded), one per `---` section and, in markdown, one per fenced prompt
 * block. A lens shows the summary of the result for the section's current text (looked up by
 * content hash, so any edit turns it back into "Analyze with SinkLens").
 *
 * A lens always describes the text it sits on, never the panel's. An analysed selection that is not
 * a whole section gets its own lens on its first line ("SinkLens (selection): …"), shown while the
 * document still holds that text at that place; the enclosing section's lens keeps describing the
 * section (its summary, or "Analyze with SinkLens" when the section itself was not analysed).
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
  /** The latest analysed text per document (uri string): where it was and its cache key. */
  private readonly analysed = new Map<string, { offset: number; length: number; key: string }>();

  constructor(private readonly ctx: Ctx) {
    this.subs = [
      this.changeEmitter,
      ctx.onDidAnalyze((ev) => {
        if (ev.uri) this.analysed.set(ev.uri.toString(), { offset: ev.offset, length: ev.result.input.text.length, key: ev.key });
        this.changeEmitter.fire();
      }),
      ctx.onDidChangeSettings(() => this.changeEmitter.fire()),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.ctx.settings;
    if (!s.codeLensEnabled || !isPromptDocument(doc, s.promptFiles)) return [];
    const model = this.ctx.resolveModel();
    const modelDir = model.ok ? model.model.dir : undefined;
    const sections = documentSections(doc);
    const lenses = sections.map(({ section, range }) => {
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
    const selection = this.selectionLens(doc, sections.map((x) => x.section));
    return selection ? [...lenses, selection] : lenses;
  }

  /** The lens of the document's last analysed text when it is not one of its sections and is still there. */
  private selectionLens(doc: vscode.TextDocument, sections: PromptSection[]): vscode.CodeLens | undefined {
    const a = this.analysed.get(doc.uri.toString());
    const result = a && this.ctx.cache.peek(a.key);
    if (!a || !result || a.offset + a.length > doc.getText().length) return undefined;
    const range = new vscode.Range(doc.positionAt(a.offset), doc.positionAt(a.offset + a.length));
    const text = doc.getText(range);
    if (text !== result.input.text || sections.some((s) => s.start === a.offset && s.text === text)) return undefined;
    // A selection ending at the start of a line (a trailing newline) does not cover that line.
    const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
    const lines = range.start.line === last ? `line ${last + 1}` : `lines ${range.start.line + 1}–${last + 1}`;
    return new vscode.CodeLens(new vscode.Range(range.start.line, 0, range.start.line, 0), {
      title: summaryLine(result.summary).replace(/^SinkLens:/, `SinkLens (selection, ${lines}):`),
      tooltip: `${summaryTooltip(result)}\nAnalysed selection (${text.length} characters); click to analyse it again.`,
      command: ANALYZE_SECTION_COMMAND,
      arguments: [doc.uri, range],
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
