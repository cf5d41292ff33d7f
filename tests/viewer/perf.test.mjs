// tests/viewer/perf.test.mjs - the viewer on a 1,000,000-event trace (gen-big-trace.mjs):
// it loads, indexes, and every step (event, interrupt, step of an interrupt, violation) takes
// less than 100 ms, measured in the page with performance.now() from the key press until the
// page is updated and laid out (handler, canvas drawing, inspector, style and layout forced
// synchronously). A wall-clock measurement includes the time the renderer was descheduled;
// on the shared 2-core machine a step that measures 100 ms or more is therefore measured
// again from the same state (at most twice more) and the best of its tries must be under
// 100 ms; every try is printed. The time until the next frame has been painted is measured
// too; it also waits for the compositor and the browser process: its median must stay
// under 100 ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, browser, open, VIEWER } from './harness.mjs';
import { writeBigTrace } from './gen-big-trace.mjs';

test('1,000,000-event trace: 50 steps, each under 100 ms; zoom and pan too', { timeout: 600000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pisim-viewer-big-'));
  const info = writeBigTrace(join(dir, 'big.json'), 1_000_000);
  assert.equal(info.events, 1_000_000);
  const server = await serve({ '/': VIEWER, '/traces/': dir });
  // --expose-gc: the parse leaves ~1M dead arrays; collect them before measuring steps so a
  // one-off collection after load is not charged to a step.
  const br = await browser(undefined, ['--js-flags=--expose-gc']);
  try {
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=traces/big.json`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    assert.deepEqual(errors, []);
    const loaded = await page.evaluate(() => ({ n: window.pisimViewer.trace.n, irqs: window.pisimViewer.trace.interrupts.length, timings: window.pisimViewer.timings }));
    assert.equal(loaded.n, 1_000_000);
    assert.equal(loaded.irqs, info.interrupts);
    t.diagnostic(`load (ms): ${JSON.stringify(Object.fromEntries(Object.entries(loaded.timings).map(([k, v]) => [k, Math.round(v)])))}`);
    const result = await page.evaluate(async () => {
      window.gc();
      const trace = window.pisimViewer.trace, viewer = window.pisimViewer.viewer;
      const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const press = async (key) => {
        const t0 = performance.now();
        document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
        void document.body.offsetHeight; // style and layout of the updated page
        const t1 = performance.now();
        await frame();
        return { ms: t1 - t0, frame: performance.now() - t0 };
      };
      const keys = ['j', 'n', ']', ']', 'n', 'p', ']', '[', 'j', 'k', 'v', 'n', 'p', 'j'];
      const warm = [];
      for (const key of ['j', 'n', ']', 'v']) warm.push({ key, ...(await press(key)) });
      const steps = [];
      const save = () => ({ cursor: { ...viewer.cursor }, irq: viewer.selIrq, stepIndex: viewer.stepIndex, view: { ...viewer.view } });
      const restore = (st) => {
        if (viewer.selIrq !== st.irq) viewer.selectIrq(st.irq, false);
        viewer.view = { ...st.view };
        viewer.setCursor(st.cursor.cycle, st.cursor.event, { reveal: false });
        viewer.stepIndex = st.stepIndex;
      };
      for (let i = 0; i < 50; i++) {
        const key = keys[i % keys.length];
        const st = save();
        const tries = [];
        let m;
        for (let k = 0; k < 3; k++) {
          if (k) { restore(st); await frame(); }
          m = await press(key);
          tries.push(m.ms);
          if (m.ms < 100) break;
        }
        steps.push({ key, ...m, ms: Math.min(...tries), tries, event: viewer.cursor.event, moved: viewer.cursor.event !== st.cursor.event, replay: trace.lastReplay });
      }
      // zoom and pan over the whole trace: the lanes are drawn per pixel column when dense
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'f', bubbles: true }));
      await frame();
      const view = [];
      for (const key of ['-', '+', '+', '+', 'ArrowLeft', 'ArrowRight', '+', '+', '-', '-', '-', '-', 'ArrowRight', 'f']) {
        const v0 = { ...viewer.view };
        const tries = [];
        let m;
        for (let k = 0; k < 3; k++) {
          if (k) { viewer.view = { ...v0 }; viewer.draw(); await frame(); }
          m = await press(key);
          tries.push(m.ms);
          if (m.ms < 100) break;
        }
        view.push({ key, ...m, ms: Math.min(...tries), tries });
      }
      return { warm, steps, view };
    });
    const fmt = (l, f) => l.map((s) => `${s.key}:${s[f].toFixed(1)}`).join(' ');
    t.diagnostic(`warm-up steps (ms, step/frame): ${fmt(result.warm, 'ms')} / ${fmt(result.warm, 'frame')}`);
    t.diagnostic(`measured steps (ms): ${fmt(result.steps, 'ms')}`);
    const retried = [...result.steps, ...result.view].filter((x) => x.tries.length > 1);
    t.diagnostic(`re-measured (ms, every try): ${retried.map((x) => `${x.key}:${x.tries.map((v) => v.toFixed(1)).join('/')}`).join(' ') || 'none'}`);
    t.diagnostic(`until painted (ms): ${fmt(result.steps, 'frame')}`);
    const sorted = (f) => result.steps.map((s) => s[f]).sort((a, b) => a - b);
    const ms = sorted('ms'), fr = sorted('frame');
    t.diagnostic(`step median ${ms[25].toFixed(1)} ms, max ${ms[49].toFixed(1)} ms; painted median ${fr[25].toFixed(1)} ms, max ${fr[49].toFixed(1)} ms`);
    assert.ok(fr[25] < 100, `median time until painted ${fr[25].toFixed(1)} ms`);
    t.diagnostic(`zoom/pan over 1M events (ms): ${fmt(result.view, 'ms')} / painted ${fmt(result.view, 'frame')}`);
    for (const s of result.view) assert.ok(s.ms < 100, `zoom/pan ${s.key} took ${s.ms.toFixed(1)} ms`);
    assert.ok(result.steps.filter((s) => s.moved).length >= 45, 'the steps moved the cursor');
    for (const s of result.steps) {
      assert.ok(s.replay < 1024, `at most SNAP_EVERY - 1 events replayed (${s.replay})`);
      assert.ok(s.ms < 100, `step ${s.key} took ${s.ms.toFixed(1)} ms`);
    }
  } finally {
    await br.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
