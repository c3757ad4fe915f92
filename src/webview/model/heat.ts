/**
 * The heat scale of the token strip, the head x layer heatmap and the attention map: a sequential
 * ramp (pale yellow -> orange -> deep red) with opacity rising with the value, so zero is fully
 * transparent on every theme and the strongest values read on light, dark and high-contrast.
 */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

const STOPS: [number, [number, number, number]][] = [
  [0, [255, 214, 102]],
  [0.5, [245, 124, 40]],
  [1, [200, 30, 40]],
];

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** Colour of a value already normalised to [0, 1] (values outside are clamped; NaN is 0). */
export function heatRgba(t: number, opts: { minAlpha?: number; maxAlpha?: number } = {}): Rgba {
  const x = clamp01(t);
  const { minAlpha = 0, maxAlpha = 0.9 } = opts;
  let i = 0;
  while (i < STOPS.length - 2 && x > (STOPS[i + 1] as [number, unknown])[0]) i++;
  const [x0, c0] = STOPS[i] as [number, [number, number, number]];
  const [x1, c1] = STOPS[i + 1] as [number, [number, number, number]];
  const f = (x - x0) / (x1 - x0);
  const mix = (k: 0 | 1 | 2): number => Math.round(c0[k] + f * (c1[k] - c0[k]));
  const a = x === 0 ? 0 : minAlpha + x * (maxAlpha - minAlpha);
  return { r: mix(0), g: mix(1), b: mix(2), a: Math.round(a * 1000) / 1000 };
}

export function cssColor(c: Rgba): string {
  return `rgba(${c.r}, ${c.g}, ${c.b}, ${c.a})`;
}

export function heatColor(t: number): string {
  return cssColor(heatRgba(t, { minAlpha: 0.06 }));
}

/** Linear normalisation onto [0, 1] with domain [0, max]; a max of 0 maps everything to 0. */
export function normalise(values: readonly number[], max: number): number[] {
  return values.map((v) => (max > 0 && Number.isFinite(v) ? Math.min(1, Math.max(0, v / max)) : 0));
}

/**
 * Domain maximum of the token strip: the largest value, skipping positions that are excluded
 * (BOS: its own sink mass is 1 by construction and would wash out every other token).
 */
export function domainMax(values: readonly number[], exclude: ReadonlySet<number> = new Set()): number {
  let max = 0;
  values.forEach((v, i) => {
    if (!exclude.has(i) && Number.isFinite(v) && v > max) max = v;
  });
  return max;
}

/** WCAG relative luminance of an sRGB colour (channels 0..255). */
function luminance(r: number, g: number, b: number): number {
  const lin = (v: number): number => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const contrast = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** The two inks of the panel's CSS (.sl-ink-dark #1e1e1e, .sl-ink-light #f3f3f3). */
const INK_DARK = luminance(0x1e, 0x1e, 0x1e);
const INK_LIGHT = luminance(0xf3, 0xf3, 0xf3);

/**
 * Text colour over a heat cell: the ink with the higher WCAG contrast against the cell blended over
 * the theme background (a mid red takes dark ink: 4.7:1 where light ink would give 3.2:1).
 */
export function textOnHeat(c: Rgba, backgroundIsDark: boolean): 'light' | 'dark' {
  const bg = backgroundIsDark ? 30 : 255;
  const blend = (v: number): number => c.a * v + (1 - c.a) * bg;
  const cell = luminance(blend(c.r), blend(c.g), blend(c.b));
  return contrast(cell, INK_DARK) >= contrast(cell, INK_LIGHT) ? 'dark' : 'light';
}
