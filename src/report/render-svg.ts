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
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
