/** Chart colours from VS Code's theme variables, so the charts follow light, dark and high-contrast themes. */
import type { ChartTheme } from './charts';

/** VS Code puts `vscode-light`, `vscode-dark`, `vscode-high-contrast` or `vscode-high-contrast-light` on <body>. */
export function isDarkTheme(doc: Document): boolean {
  const c = doc.body.classList;
  return c.contains('vscode-dark') || (c.contains('vscode-high-contrast') && !c.contains('vscode-high-contrast-light'));
}

export function isHighContrast(doc: Document): boolean {
  const c = doc.body.classList;
  return c.contains('vscode-high-contrast') || c.contains('vscode-high-contrast-light');
}

/** `#rgb` / `#rrggbb` / `#rrggbbaa` with a new alpha; other syntaxes are returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(color.trim());
  if (!m) return color;
  let hex = m[1] as string;
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function readChartTheme(doc: Document): ChartTheme {
  const cs = doc.defaultView?.getComputedStyle(doc.body);
  const v = (name: string, fallback: string): string => cs?.getPropertyValue(name).trim() || fallback;
  const dark = isDarkTheme(doc);
  const hc = isHighContrast(doc);
  const fg = v('--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  const bandAlpha = hc ? 0.16 : dark ? 0.13 : 0.1;
  return {
    fg,
    muted: v('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    grid: withAlpha(v('--vscode-editorWidget-border', dark ? '#454545' : '#c8c8c8'), hc ? 0.4 : 0.45),
    font: v('--vscode-font-family', 'system-ui, sans-serif'),
    primary: v('--vscode-charts-blue', '#3794ff'),
    secondary: v('--vscode-charts-green', '#89d185'),
    bound: v('--vscode-charts-purple', '#b180d7'),
    ablated: v('--vscode-charts-orange', '#d18616'),
    spike: v('--vscode-charts-red', '#f14c4c'),
    bands: {
      mix: withAlpha(v('--vscode-charts-blue', '#3794ff'), bandAlpha),
      compress: withAlpha(v('--vscode-charts-yellow', '#cca700'), bandAlpha + 0.06),
      refine: withAlpha(v('--vscode-charts-green', '#89d185'), bandAlpha),
    },
  };
}
