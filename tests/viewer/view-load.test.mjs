// tests/viewer/view-load.test.mjs - `pisim view` itself (not a test server) serving the trace of
// bench/nic-100k.yaml run for 3e8 cycles (written here by `pisim run --max-cycles 300000000`: 14
// MB and more, 200k events and more): Chromium offers br, gzip and deflate; the trace must come gzip-encoded
// (compressed once when the server started, not per request) and the viewer must be ready
// within a generous bound. It took about a minute when cpp-httplib Brotli-compressed the trace
// at its highest quality on every request; measured figures are in bench/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, open, BUILD, ROOT } from './harness.mjs';
import { execFileSync } from 'node:child_process';

const PISIM = join(BUILD, 'pisim');
const skip = !existsSync(PISIM) ? 'build/pisim is not built (scripts/build)' : false;
const BOUND_MS = 20_000; // a sanity bound on a shared 2-core machine, not a benchmark

/** Start `pisim view FILE` on a free port; resolves with {url, stop()}. */
export async function startView(file, env = process.env) {
  const child = spawn(PISIM, ['view', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let timer;
  const url = await new Promise((resolve, reject) => {
    const onData = (b) => { out += b; const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out); if (m) resolve(m[0]); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`pisim view exited ${code}: ${out}`)));
    timer = setTimeout(() => reject(new Error(`pisim view printed no URL in 60 s: ${out}`)), 60000);
  }).finally(() => clearTimeout(timer));
  return { url, stop: () => new Promise((r) => { child.removeAllListeners('exit'); child.on('exit', r); child.kill('SIGTERM'); }) };
}

test('pisim view opens the trace of bench/nic-100k.yaml (3e8 cycles) at once', { skip, timeout: 300000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-view-load-'));
  const file = join(dir, 'trace.json');
  try {
    execFileSync(PISIM, ['run', join(ROOT, 'bench', 'nic-100k.yaml'), '--max-cycles', '300000000', '-q', '--trace', file], { stdio: 'ignore', timeout: 240000 });
  } catch (e) {
    if (e.status !== 3) throw e; // stopped by --max-cycles: a complete trace, "truncated": true
  }
  const bytes = statSync(file).size;
  const info = { events: JSON.parse(readFileSync(file, 'utf8')).events.length };
  assert.ok(bytes > 13e6 && info.events > 200000, `a trace of the size in question (${bytes} bytes, ${info.events} events)`);
  const t0 = Date.now();
  const view = await startView(file);
  const started = Date.now() - t0;
  const br = await browser();
  try {
    const page = br.ctx.pages()[0] || await br.ctx.newPage();
    const response = page.waitForResponse((r) => r.url().endsWith('/trace.json'));
    const t1 = Date.now();
    const { errors } = await open(br.ctx, view.url);
    const ready = Date.now() - t1;
    const r = await response;
    const req = await r.request().allHeaders();
    const headers = await r.allHeaders();
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    assert.deepEqual(errors, []);
    assert.equal(await page.evaluate(() => window.pisimViewer.trace.n), info.events);
    assert.match(req['accept-encoding'], /br/, 'Chromium offers Brotli');
    assert.equal(headers['content-encoding'], 'gzip', 'the trace comes as the gzip made at start');
    const timings = await page.evaluate(() => window.pisimViewer.timings);
    t.diagnostic(`trace ${bytes} bytes, ${info.events} events; pisim view up in ${started} ms; page ready in ${ready} ms; ` +
      `in the page (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
    assert.ok(ready < BOUND_MS, `ready in ${ready} ms`);
  } finally {
    await br.close();
    await view.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
