// tests/viewer/real-trace.test.mjs - the viewer on a trace written by the simulator itself
// (`pisim run --trace`, platform/trace_writer.cpp), when build/pisim has been built (scripts/test
// builds it before the viewer tests). Each posted interrupt's life is walked with the step keys
// and the inspector is checked against the posting and processing steps (VT-d 5.2.3; SDM
// 29.1, 29.2, 29.6), with the expected values read from the trace's own events, not written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, browser, open, inspector, VIEWER, ROOT } from './harness.mjs';

const PISIM = join(ROOT, 'build', 'pisim');
const SCENARIO = join(ROOT, 'scenarios', 'basic', 'nic-posted-running.yaml');
const skip = !existsSync(PISIM) || !existsSync(SCENARIO) ? 'build/pisim is not built (scripts/build)' : false;

test('a trace from pisim run --trace: posted interrupts step by step', { skip, timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-viewer-real-'));
  const file = join(dir, 'trace.json');
  execFileSync(PISIM, ['run', SCENARIO, '--trace', file, '--quiet'], { timeout: 240000, stdio: 'ignore' });
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const kind = (e) => d.kinds[e[1]].name;
  const server = await serve({ '/': VIEWER, '/traces/': dir });
  const br = await browser();
  try {
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=traces/trace.json`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent('#irq-count'), `(${d.interrupts.length} of ${d.interrupts.length})`);
    const meta = await page.textContent('#meta');
    assert.ok(meta.includes(`pisim ${d.pisim}`) && meta.includes(`core ${d.core.path} (build id ${d.core.build_id.slice(0, 12)})`),
      `the header names the pisim version and the core that wrote the trace: ${meta}`);
    const posted = d.interrupts.filter((x) => x.delivered && x.steps.some((s) => s.name === 'pi_processing')).slice(0, 3);
    assert.ok(posted.length > 0, 'the scenario posts interrupts to a running vCPU');
    for (const irq of posted) {
      const tag = String(typeof irq.tag === 'string' ? BigInt(irq.tag) : irq.tag);
      const tagged = (name) => d.events.find((e) => kind(e) === name && String(typeof e[3] === 'string' ? BigInt(e[3]) : e[3]) === tag);
      const post = tagged('vtd.post'), notify = tagged('vtd.notify');
      const nv = notify[4 + d.kinds[notify[1]].args.indexOf('nv')];
      await page.click(`#irq-list .irq-row[data-tag="${tag}"]`);
      for (const step of irq.steps) {
        const s = await inspector(page);
        assert.equal(s.step, step.name);
        assert.equal(s.cycle, step.cycle);
        const v = irq.vector;
        if (step.name === 'posting') {
          assert.ok(s.pir.includes(v), `${tag} posting: PIR[${v}] set`);
          const newControl = BigInt(post[4 + d.kinds[post[1]].args.indexOf('new_control')]);
          assert.equal(s.on, Number(newControl & 1n), 'ON as the posting wrote it');
        } else if (step.name === 'notification') {
          assert.ok(s.irr.includes(nv), `${tag} notification: IRR[NV ${nv}] set`);
        } else if (step.name === 'pi_processing') {
          assert.ok(!s.pir.includes(v), 'PIR consumed');
          assert.equal(s.on, 0, 'ON cleared');
          assert.ok(!s.irr.includes(nv) && !s.isr.includes(nv), 'notification dismissed (EOI)');
          assert.ok(s.virr.includes(v) || s.visr.includes(v), 'vector in VIRR (or already delivered)');
          assert.ok(s.rvi >= v || s.svi === v, 'RVI covers the vector');
        } else if (step.name === 'virtual_delivery') {
          assert.ok(s.visr.includes(v) && s.svi === v, 'VISR and SVI hold the vector at guest ISR entry');
          assert.equal(s.vppr, v & 0xf0);
        }
        await page.keyboard.press(']');
      }
    }
  } finally {
    await br.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hypervisor handler slices: what pisim export --perfetto derives from the same trace', { skip, timeout: 300000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-viewer-hyp-'));
  const file = join(dir, 'trace.json'), perfetto = join(dir, 'perfetto.json');
  execFileSync(PISIM, ['run', join(ROOT, 'scenarios', 'lifecycle', 'wakeup-two-blocked.yaml'), '--trace', file, '--quiet'], { timeout: 240000, stdio: 'ignore' });
  execFileSync(PISIM, ['export', file, '--perfetto', perfetto], { timeout: 240000, stdio: 'ignore' });
  // The export's handler slices ("hyp ..." on the pCPU threads, pid 1), split where the pCPU's
  // mode changes under them: pieces of one slice put back together.
  const ns = (ts) => Math.round(Number(ts) * 1000);
  // The export names handlers; the viewer's index keeps their numbers: the
  // trace's enums table maps one to the other.
  const names = JSON.parse(readFileSync(file, 'utf8')).enums?.hyp_handler || {};
  const number = new Map(Object.entries(names).map(([value, name]) => [name, Number(value)]));
  const exported = new Map();
  for (const e of JSON.parse(readFileSync(perfetto, 'utf8')).traceEvents) {
    if (e.pid !== 1 || e.ph !== 'X' || !e.name.startsWith('hyp ')) continue;
    const list = exported.get(e.tid) || exported.set(e.tid, []).get(e.tid);
    const begin = ns(e.ts), end = begin + ns(e.dur), key = JSON.stringify(e.args);
    const prev = list.findLast((s) => s.key === key && s.end === begin);
    if (prev) prev.end = end; else list.push({ begin, end, handler: number.get(e.args.handler) ?? e.args.handler, key });
  }
  const server = await serve({ '/': VIEWER, '/traces/': dir });
  const br = await browser();
  try {
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=traces/trace.json`);
    assert.deepEqual(errors, []);
    const viewer = await page.evaluate(() => window.pisimViewer.trace.handlerSlices.map((sl) =>
      Array.from({ length: sl.n }, (_, i) => [sl.start[i], sl.end[i], sl.handler[i]]).filter(([a, b]) => b > a)));
    const sort = (l) => l.sort((a, b) => a[0] - b[0] || b[1] - a[1] || a[2] - b[2]);
    let total = 0;
    viewer.forEach((slices, p) => {
      const want = sort((exported.get(1000 + p) || []).map((s) => [s.begin, s.end, s.handler]));
      assert.deepEqual(sort(slices), want, `pcpu position ${p}`);
      total += slices.length;
    });
    assert.ok(total > 50, `the scenario runs the hypervisor's handlers (${total} slices)`);
  } finally {
    await br.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
