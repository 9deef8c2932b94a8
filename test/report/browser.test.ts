/**
 * The report in a real browser: headless Chromium (Debian's `chromium`, which .ci/run installs)
 * loads report.html. It fails on a console message, a plot that does not load, an SVG with no
 * drawn data marks, or a mark group drawing more marks than its plot has rows of data. Skips,
 * saying why, when there is no chromium.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build-report.js';
import { fakeResult, stored } from './fixtures.js';
import { tempDir } from '../sweep/helpers.js';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

const chromium = findChromium();
if (!chromium) console.log('skipping the browser check: no chromium on PATH (.ci/run installs Debian\'s chromium with apt-get)');

const dir = tempDir('routesim-browser-');

/** Chromium with the flags of a quiet, throwaway profile; returns stdout and stderr. */
function browse(args: string[]): { stdout: string; stderr: string } {
  const profile = mkdtempSync(join(tmpdir(), 'routesim-chromium-'));
  const r = spawnSync(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Run inside the page once it has loaded: for each figure, its image loaded, and in its SVG each
 * data mark group (summed over panels) draws at least one and at most data-rows elements.
 */
const CHECK = `<script>
window.addEventListener('load', () => {
  const out = { errors: [], figures: [] };
  for (const fig of document.querySelectorAll('figure')) {
    const img = fig.querySelector('img');
    const rows = Number(fig.dataset.rows);
    const svg = new DOMParser().parseFromString(decodeURIComponent(escape(atob(img.src.split(',')[1]))), 'image/svg+xml');
    const groups = {};
    for (const g of svg.querySelectorAll('g')) {
      const cls = g.getAttribute('class') || '';
      if (!/\\brole-mark\\b/.test(cls)) continue;
      const drawn = [...g.children].filter((e) => ['path', 'rect', 'line', 'circle', 'text', 'g'].includes(e.tagName)).length;
      groups[cls] = (groups[cls] || 0) + drawn;
    }
    out.figures.push({ id: fig.id, loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth, rows, groups,
      parseError: svg.querySelector('parsererror') !== null });
  }
  const pre = document.createElement('pre');
  pre.id = 'check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`;

/** A sweep with policies, rates, prefill/decode counts, classes, rejections and replicates. */
function results() {
  const out = [];
  for (const policy of ['random', 'least-request'])
    for (const rate of [4, 8])
      for (const [p, d] of [[1, 1], [1, 2], [2, 1]])
        for (const seed of [1, 2, 3]) {
          const slow = (rate / (p + d)) * (policy === 'random' ? 1.3 : 1) * (1 + seed / 20);
          const r = fakeResult({
            id: `${policy}-${rate}-${p}-${d}-${seed}`,
            point: { 'router.policy': policy, rate, 'fleet[0].count': p, 'fleet[1].count': d, seed },
            policy,
            fleet: [
              { gpu: 'H100-SXM', count: p, tp: 1, role: 'prefill', costPerHour: 3.78 },
              { gpu: 'A100-80GB', count: d, tp: 1, role: 'decode', costPerHour: 2.5 },
            ],
            ttft: [20 * slow, 200 * slow],
            tpot: [5 * slow, 15 * slow],
            attainment: Math.max(0, 1 - slow / 10),
          });
          r.seed = seed;
          r.rejected = policy === 'random' ? 20 * rate : 0;
          out.push(r);
        }
  return out;
}

describe.skipIf(!chromium)('report.html in headless Chromium', () => {
  it('loads without console messages; every plot loads, draws marks, and no more marks than its data', async () => {
    const files = await buildReport(stored(results()));
    const out = join(dir, 'report');
    mkdirSync(join(out, 'plots'), { recursive: true });
    writeFileSync(join(out, 'report.html'), files.html);
    for (const s of files.svgs) writeFileSync(join(out, 'plots', `${s.name}.svg`), s.svg);
    writeFileSync(join(out, 'check.html'), files.html.replace('</body>', `${CHECK}\n</body>`));

    // The report as shipped: no console output at all (it has no scripts; a failed load logs).
    const page = browse(['--screenshot=' + join(out, 'report.png'), '--window-size=1200,4000', '--hide-scrollbars', pathToFileURL(join(out, 'report.html')).href]);
    expect(page.stderr.split('\n').filter((l) => /CONSOLE|Uncaught|Failed to load/.test(l))).toEqual([]);
    expect(statSync(join(out, 'report.png')).size).toBeGreaterThan(20_000);

    const checked = browse(['--dump-dom', '--virtual-time-budget=10000', pathToFileURL(join(out, 'check.html')).href]);
    expect(checked.stderr.split('\n').filter((l) => /CONSOLE|Uncaught/.test(l))).toEqual([]);
    const m = /<pre id="check">([^<]*)<\/pre>/.exec(checked.stdout);
    expect(m, 'the check ran in the page').not.toBeNull();
    const report = JSON.parse(m![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as {
      figures: { id: string; loaded: boolean; width: number; rows: number; groups: Record<string, number>; parseError: boolean }[];
    };
    expect(report.figures.map((f) => f.id)).toEqual(files.svgs.map((s) => s.name));
    for (const f of report.figures) {
      expect(f.loaded && f.width > 0, `${f.id} loaded`).toBe(true);
      expect(f.parseError, `${f.id} parses`).toBe(false);
      const counts = Object.values(f.groups);
      expect(counts.reduce((a, b) => a + b, 0), `${f.id}: drawn data marks`).toBeGreaterThan(0);
      for (const [cls, n] of Object.entries(f.groups)) expect(n, `${f.id} ${cls}: marks vs ${f.rows} rows`).toBeLessThanOrEqual(f.rows);
    }
  }, 240_000);
});

