/** The compact SinkLens view (WebviewView 'sinklens.summaryView'): summary of the active prompt and a button to the full panel. */
import type { PanelSnapshot, PanelStatus } from '../shared/protocol/panel';
import { DidChangeSnapshot, DidChangeStatus, OpenPanel, PanelReady } from '../shared/protocol/panel';
import type { HostIpc } from './ipc';
import { tokenLabel } from './model/format';
import { heatColor } from './model/heat';
import { summaryModel } from './model/summary';
import { el, replaceChildren } from './render/dom';
import { statusText } from './render/status';

export function renderSummary(doc: Document, snapshot: PanelSnapshot | null): HTMLElement[] {
  if (!snapshot) return [el(doc, 'p', { class: 'sl-hint', text: 'Analyze a prompt to see its sinks here.' })];
  const m = summaryModel(snapshot.result);
  const strip = el(
    doc,
    'div',
    { id: 'sl-summary-strip', class: 'sl-summary-strip', attrs: { role: 'img', 'aria-label': 'Sink mass per token' } },
    m.heat.map((h, i) => el(doc, 'span', { class: 'sl-summary-tok', attrs: { title: tokenLabel(m.tokenTexts[i] ?? '') }, style: { backgroundColor: heatColor(h) } })),
  );
  const phases = el(
    doc,
    'div',
    { class: 'sl-summary-phases' },
    m.phases.map((p) => el(doc, 'span', { class: `sl-phase sl-phase-${p.phase}`, text: p.label, style: { flexGrow: String(Math.max(0.05, p.share)) } })),
  );
  return [
    el(doc, 'div', { class: 'sl-summary-title', text: m.title }),
    el(doc, 'div', { class: 'sl-summary-line', text: m.line }),
    strip,
    el(doc, 'div', { class: 'sl-summary-valley', text: m.valley }),
    phases,
  ];
}

export class SummaryApp {
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { kind: 'idle' };

  constructor(
    private readonly doc: Document,
    private readonly ipc: HostIpc,
  ) {
    const button = el(doc, 'vscode-button', { id: 'sl-open-panel', text: 'Open Analysis Panel' });
    button.addEventListener('click', () => this.ipc.command(OpenPanel, {}));
    doc.body.appendChild(
      el(doc, 'div', { id: 'sl-summary', class: 'sl-summary' }, [
        el(doc, 'div', { id: 'sl-status', class: 'sl-status', attrs: { role: 'status', 'aria-live': 'polite' } }),
        el(doc, 'div', { id: 'sl-summary-body' }),
        button,
      ]),
    );
  }

  async start(clientId: string): Promise<void> {
    this.ipc.onNotification((m) => {
      if (DidChangeSnapshot.is(m)) this.set(m.params.snapshot, this.status);
      else if (DidChangeStatus.is(m)) this.set(this.snapshot, m.params.status);
    });
    const boot = await this.ipc.request(PanelReady, { clientId, view: 'summary' });
    this.set(boot.snapshot, boot.status);
  }

  private set(snapshot: PanelSnapshot | null, status: PanelStatus): void {
    this.snapshot = snapshot;
    this.status = status;
    const s = statusText(status, snapshot !== null);
    const node = this.doc.getElementById('sl-status') as HTMLElement;
    node.textContent = s.text;
    node.className = `sl-status sl-status-${s.kind}`;
    replaceChildren(this.doc.getElementById('sl-summary-body') as HTMLElement, ...renderSummary(this.doc, snapshot));
  }
}
