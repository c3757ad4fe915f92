/**
 * Markdown built from untrusted text (model names, folder paths, hub repo ids): every character Markdown
 * or VS Code's Markdown renderer gives a meaning is escaped, so a model called `[x](command:...)` or a path
 * with backticks renders as the text it is. Pure (no vscode): unit-tested.
 */
const SPECIAL = /[\\`*_{}[\]()#+\-.!|<>~$&:"']/g;

export function escapeMarkdown(text: string): string {
  return text.replace(SPECIAL, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** The status bar tooltip's Markdown source for the resolved model (or why none resolved). */
export function modelTooltip(r: { ok: true; label: string; dir: string } | { ok: false; message: string }, live: boolean, restricted = false): string {
  const head = r.ok ? `**SinkLens model:** ${escapeMarkdown(r.label)}\n\n${escapeMarkdown(r.dir)}` : `**SinkLens:** ${escapeMarkdown(r.message)}`;
  const note = restricted ? '\n\n**Restricted Mode:** workspace settings for model folders and the hub are ignored until you trust this workspace.' : '';
  return `${head}\n\nClick to select a model.${live ? ' Live analysis is on.' : ''}${note}`;
}
