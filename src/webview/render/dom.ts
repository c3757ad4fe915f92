/**
 * The one way the webview builds DOM: text always goes through `textContent`, attributes through
 * `setAttribute` with fixed names, and styles through the CSSOM (allowed by the CSP, unlike inline
 * `style="..."` markup). No `innerHTML` anywhere, so prompt text can never become markup.
 */
export interface ElProps {
  id?: string;
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  style?: Partial<Record<'backgroundColor' | 'color' | 'left' | 'top' | 'width' | 'height' | 'flexGrow', string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props?: ElProps, children?: (Node | null)[]): HTMLElementTagNameMap[K];
export function el(doc: Document, tag: string, props?: ElProps, children?: (Node | null)[]): HTMLElement;
export function el(doc: Document, tag: string, props: ElProps = {}, children: (Node | null)[] = []): HTMLElement {
  const e = doc.createElement(tag);
  if (props.id) e.id = props.id;
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const [k, v] of Object.entries(props.style ?? {})) if (v !== undefined) e.style[k as 'color'] = v;
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: (Node | null)[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  for (const c of children) if (c) parent.appendChild(c);
}

/** A `<dl>`-like row of label/value pairs rendered as chips. */
export function chip(doc: Document, label: string, value: string, title?: string): HTMLElement {
  return el(doc, 'span', { class: 'sl-chip', attrs: title ? { title } : {} }, [
    el(doc, 'span', { class: 'sl-chip-label', text: label }),
    el(doc, 'span', { class: 'sl-chip-value', text: value }),
  ]);
}
