// tests/viewer/harness.mjs - a static file server (node:http, 127.0.0.1, port 0) and a
// headless Debian Chromium driven by playwright-core (no browser download, ever).
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
/** The viewer as pisim ships it (viewer/CMakeLists.txt: the bundle of viewer/src, built by cmake). */
export const BUILD = process.env.PISIM_BUILD_DIR || join(ROOT, 'build');
export const VIEWER = join(BUILD, 'viewer');
/** The viewer's sources: the modules of viewer/src and the page. */
export const VIEWER_SRC = join(ROOT, 'viewer');
if (!existsSync(join(VIEWER, 'viewer.js'))) throw new Error(`${VIEWER}/viewer.js is not built: cmake --build build --target viewer`);
export const FIXTURES = join(HERE, 'fixtures');
export const CHROMIUM = '/usr/bin/chromium';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json' };

/**
 * Serve `mounts` ({'/': dir, '/traces/': dir}) and `pages` ({'/x.html': string}) on 127.0.0.1.
 * Returns {url, close()}.
 */
export async function serve(mounts, pages = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (Object.hasOwn(pages, path)) {
      res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'text/plain' });
      res.end(pages[path]);
      return;
    }
    const prefix = Object.keys(mounts).filter((m) => path.startsWith(m)).sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) { res.writeHead(404); res.end(); return; }
    const base = mounts[prefix];
    const file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(normalize(base) + sep) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** A fresh headless Chromium context with its own temporary profile. */
export async function browser(viewport = { width: 1400, height: 1000 }, extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'pisim-viewer-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  return {
    ctx,
    async close() { await ctx.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Open a page and wait until the viewer says ready (or error). */
export async function open(ctx, url) {
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 120000 });
  return { page, errors };
}

/** What the inspector shows: bitmaps as vector lists, fields as numbers. */
export async function inspector(page) {
  return page.evaluate(() => {
    const bits = (id) => { const s = document.getElementById(id).dataset.set; return s ? s.split(',').map(Number) : []; };
    const cells = (id) => [...document.getElementById(id).children].flatMap((c, v) => (c.classList.contains('set') ? [v] : []));
    const num = (id) => Number(document.getElementById(id).dataset.value);
    return {
      cycle: Number(document.getElementById('cursor-cycle').textContent),
      pir: bits('pid-pir'), pirCells: cells('pid-pir'),
      on: num('pid-on'), sn: num('pid-sn'), nv: num('pid-nv'), ndst: num('pid-ndst'),
      virr: bits('vapic-virr'), visr: bits('vapic-visr'), visrCells: cells('vapic-visr'),
      rvi: num('vapic-rvi'), svi: num('vapic-svi'), vppr: num('vapic-vppr'),
      irr: bits('lapic-irr'), isr: bits('lapic-isr'), irrCells: cells('lapic-irr'), ppr: num('lapic-ppr'),
      blocklists: [...document.querySelectorAll('.blocklist')].map((d) => ({ pcpu: Number(d.dataset.pcpu), vcpus: d.dataset.vcpus ? d.dataset.vcpus.split(',') : [] })),
      event: document.getElementById('event-at-cursor').textContent,
      step: document.querySelector('.life-step.current')?.dataset.name ?? null,
      hash: location.hash,
    };
  });
}
