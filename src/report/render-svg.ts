import type { Spec } from './plot-specs.js';

/**
 * Renders a Vega-Lite spec to SVG with vega's headless renderer (no browser, no canvas).
 * vega and vega-lite are loaded on first use: commands that draw nothing do not pay for them.
 */
export async function renderSvg(spec: Spec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  // vega numbers gradients and clip paths from process-wide counters: restart them so the same
  // spec gives the same bytes whatever was rendered before.
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return withHoverTitles(await view.toSVG());
  } finally {
    view.finalize();
  }
}

const TITLED_KINDS = new Set(['point', 'circle', 'square', 'bar', 'rect', 'rule mark']);

/**
 * Vega writes each mark item's description as its aria-label, which screen readers use but a
 * browser does not show on hover; a `<title>` child is what it shows. Copied for the items that
 * stand for one datum (not containers, lines or error bars), so a static SVG names its points
 * and bars on hover.
 */
export function withHoverTitles(svg: string): string {
  return svg.replace(/<(path|rect|line)( [^>]*?)\/>/g, (whole, tag: string, attrs: string) => {
    if (!attrs.includes('role="graphics-symbol"')) return whole;
    // Items that stand for one datum (points, bars, cells, target rules). A line is one path
    // for many data and an error bar repeats its point's numbers: their descriptions mislead.
    const kind = / aria-roledescription="([^"]*)"/.exec(attrs)?.[1];
    if (kind !== undefined && !TITLED_KINDS.has(kind)) return whole;
    const label = / aria-label="([^"]*)"/.exec(attrs);
    return label ? `<${tag}${attrs}><title>${label[1]}</title></${tag}>` : whole;
  });
}
