// tests/viewer/hostile.test.mjs - nothing in a trace runs as script. A trace whose every string
// field (scenario, profile, irq mode, unit names, kind names, kind units and arg names, step
// names, violation oracles and messages, interrupt names, enum value names) holds markup that would run script if parsed as HTML is
// opened through the real `pisim report` file (from disk) and the real `pisim view` server, in
// headless Chromium. Every payload must appear on the page as text, no script may run, no
// dialog open, no element be injected, and the Content-Security-Policy must report nothing (a
// report would mean markup reached the parser and only the policy stopped it). `?trace=` cannot
// point `pisim view`'s page at another origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { browser, serve, FIXTURES, ROOT } from './harness.mjs';

const PISIM = join(ROOT, 'build', 'pisim');
const skip = !existsSync(PISIM) ? 'build/pisim is not built (scripts/build)' : false;

/** Markup that runs script in every way HTML parsing offers, tagged with the field it sits in. */
function payload(field) {
  const run = `window.__pwned=(window.__pwned||[]).concat('${field}')`;
  return `${field}"><img src=x onerror="${run}"><script>${run}</script>` +
    `<svg onload="${run}"></svg>'><iframe srcdoc="<script>parent.${run}</script>"></iframe>&amp;</b>`;
}

/** fixtures/small.json with a payload in every string field; returns the trace and its payloads. */
function hostileTrace() {
  const d = JSON.parse(readFileSync(join(FIXTURES, 'small.json'), 'utf8'));
  const payloads = [];
  const put = (field) => { const p = payload(field); payloads.push(p); return p; };
  d.scenario = put('scenario');
  d.profile = put('profile');
  d.irq_mode = put('irq_mode');
  d.pisim = put('pisim');
  d.core = { path: put('core.path'), build_id: put('core.build_id') };
  for (const [unit, list] of Object.entries(d.units)) list.forEach((u, i) => { u.name = put(`units.${unit}[${i}].name`); });
  d.interrupts.forEach((irq, i) => irq.steps.forEach((s, k) => { s.name = put(`interrupts[${i}].steps[${k}].name`); }));
  d.violations.forEach((v, i) => { v.oracle = put(`violations[${i}].oracle`); v.message = put(`violations[${i}].message`); });
  // The optional names (docs/trace-format.md): interrupt names, and the names of every handler
  // of the trace's hyp.handler_enter/exit events through "enums".
  d.interrupts.forEach((irq, i) => { irq.name = put(`interrupts[${i}].name`); });
  const handlerKinds = ['hyp.handler_enter', 'hyp.handler_exit'].map((n) => d.kinds.findIndex((k) => k.name === n));
  const handlers = [...new Set(d.events.filter((e) => handlerKinds.includes(e[1])).map((e) => e[4]))];
  d.enums = { hyp_handler: Object.fromEntries(handlers.map((h) => [String(h), put(`enums.hyp_handler.${h}`)])) };
  for (const k of handlerKinds) d.kinds[k].enums = { handler: 'hyp_handler' };
  // The kinds the viewer interprets keep their names (so lanes, inspector and blocking lists
  // still show the unit names); two more kinds, each with an event, carry payloads in their
  // name, unit and arg names.
  const last = d.events[d.events.length - 1][0];
  const kinds = [
    { name: put('kinds[+0].name'), unit: 'pcpu', args: [put('kinds[+0].args[0]'), put('kinds[+0].args[1]')] },
    { name: put('kinds[+1].name'), unit: put('kinds[+1].unit'), args: [put('kinds[+1].args[0]')] },
  ];
  for (const k of kinds) {
    d.events.push([last, d.kinds.length, 0, 0, ...k.args.map((_, a) => a + 1)]);
    d.kinds.push(k);
  }
  return { text: JSON.stringify(d), payloads, events: d.events.length };
}

/** Open `url`, walk the cursor over every event and every interrupt, and collect what the page showed. */
async function visit(ctx, url, events) {
  const page = ctx.pages()[0] || await ctx.newPage();
  const dialogs = [], errors = [];
  page.on('dialog', (dlg) => { dialogs.push(dlg.message()); dlg.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
  const seen = new Set();
  const collect = async () => {
    for (const s of await page.evaluate(() => [document.body.textContent, ...[...document.querySelectorAll('option')].map((o) => o.text)])) seen.add(s);
  };
  // Every interrupt selected (its life, its row), then the cursor every 7 events (the events
  // list shows 14 around it), at each blocking-list change too.
  const rows = await page.$$eval('#irq-list .irq-row', (r) => r.map((x) => x.dataset.tag));
  for (const tag of rows) { await page.click(`#irq-list .irq-row[data-tag="${tag}"]`); await collect(); }
  for (let e = 0; e < events; e += 7) {
    await page.evaluate((ev) => { location.hash = `#c=${window.pisimViewer.trace.cycle[ev]}&e=${ev}`; }, e);
    await page.waitForFunction((ev) => document.getElementById('cursor-event').textContent.startsWith(`${ev} /`), e);
    await collect();
  }
  for (const e of await page.evaluate(() => Array.from(window.pisimViewer.trace.eventsOfKind('hyp.blocklist_add')))) {
    await page.evaluate((ev) => { location.hash = `#c=${window.pisimViewer.trace.cycle[ev]}&e=${ev}`; }, e);
    await page.waitForFunction((ev) => document.getElementById('cursor-event').textContent.startsWith(`${ev} /`), e);
    await collect();
  }
  await page.keyboard.press('v');
  await collect();
  await page.waitForTimeout(300);  // an onerror of a broken image fires after its load fails
  const state = await page.evaluate(() => ({
    pwned: window.__pwned ?? null, csp: window.__csp,
    injected: document.querySelectorAll('img, svg, iframe').length +
      [...document.scripts].filter((s) => s.id !== 'pisim-trace' && s.textContent.includes('__pwned')).length,
  }));
  return { page, text: [...seen].join('\n'), dialogs, errors, ...state };
}

function assertInert(r, payloads, how) {
  assert.equal(r.pwned, null, `${how}: script from the trace ran (${r.pwned})`);
  assert.deepEqual(r.dialogs, [], `${how}: a dialog opened`);
  assert.deepEqual(r.csp, [], `${how}: the Content-Security-Policy had to block something`);
  assert.deepEqual(r.errors, [], `${how}: page errors`);
  assert.equal(r.injected, 0, `${how}: elements from the trace's markup in the page`);
  const missing = payloads.filter((p) => !r.text.includes(p));
  assert.deepEqual(missing, [], `${how}: payloads not shown as text`);
}

test('pisim report: every string of a hostile trace is text, no script runs', { skip, timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-hostile-report-'));
  const { text, payloads, events } = hostileTrace();
  writeFileSync(join(dir, 't.json'), text);
  execFileSync(PISIM, ['report', join(dir, 't.json'), '-o', join(dir, 'r.html')], { stdio: 'ignore' });
  const br = await browser();
  try {
    const r = await visit(br.ctx, pathToFileURL(join(dir, 'r.html')).href, events);
    assertInert(r, payloads, 'report');
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(html, /unsafe-inline/);
  } finally {
    await br.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Start `pisim view` on a free port; resolves with {url, stop()}. */
async function startView(trace) {
  const child = spawn(PISIM, ['view', trace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pisim view printed no URL: ${out}`)), 20000);
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`pisim view exited ${code}: ${out}`)); });
  });
  return { url, stop: () => { child.kill('SIGTERM'); } };
}

test('pisim view: every string of a hostile trace is text, no script runs; ?trace= stays on the server', { skip, timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-hostile-view-'));
  const { text, payloads, events } = hostileTrace();
  writeFileSync(join(dir, 't.json'), text);
  const view = await startView(join(dir, 't.json'));
  // Another origin with a trace of its own, which the page must never fetch.
  let foreignHits = 0;
  const foreign = await serve({}, { '/evil.json': readFileSync(join(FIXTURES, 'small.json'), 'utf8') });
  const br = await browser();
  try {
    const r = await visit(br.ctx, view.url, events);
    assertInert(r, payloads, 'view');
    const page = r.page;
    page.on('request', (req) => { if (req.url().startsWith(foreign.url)) foreignHits++; });
    for (const bad of [`${foreign.url}/evil.json`, `//127.0.0.1:${new URL(foreign.url).port}/evil.json`]) {
      await page.goto(`${view.url}index.html?trace=${encodeURIComponent(bad)}`);
      await page.waitForFunction(() => document.body.dataset.state !== 'loading');
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'error', `?trace=${bad} must be refused`);
      assert.match(await page.textContent('#error'), /must be a path on this server/);
    }
    assert.equal(foreignHits, 0, 'the page asked another origin for a trace');
  } finally {
    await br.close();
    view.stop();
    await foreign.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
