// tests/viewer/hyp-names.test.mjs - the hypervisor's part and names, not numbers, on
// fixtures/small.json and variants of it: handler slices under the pCPU lanes, the flow of an
// interrupt across lanes with the unit of each step, the inspector's pCPU following an
// interrupt that moves to another pCPU, latency charts, violations (visible at once; a click
// selects the interrupt they name), and the trace's names: "enums", interrupt names, NDST by
// APIC mode, and the unit of an oracle.violation revealed by a device event.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, browser, open, inspector, VIEWER, FIXTURES } from './harness.mjs';

const TAG = ['1099511627777', '1099511627778', '1099511627779'];
const small = () => JSON.parse(readFileSync(join(FIXTURES, 'small.json'), 'utf8'));
const kindOf = (d, name) => d.kinds.findIndex((k) => k.name === name);

/** The fixture with the fields another part of pisim's trace writer adds (docs/trace-format.md). */
function withContract() {
  const d = small();
  d.units.pcpu.forEach((u) => { u.apic_mode = 'x2apic'; });
  d.enums = { hyp_handler: { 1: 'VM exit', 4: 'posted-interrupt wakeup', 5: 'timer' }, cpu_mode: { 0: 'root', 1: 'non-root', 2: 'guest HLT', 3: 'idle' } };
  d.kinds[kindOf(d, 'hyp.handler_enter')].enums = { handler: 'hyp_handler' };
  d.kinds[kindOf(d, 'hyp.handler_exit')].enums = { handler: 'hyp_handler' };
  d.interrupts.forEach((x, i) => { x.name = `nic0#${i + 1}`; });
  return d;
}

/** The fixture with a second pCPU: the second interrupt's wakeup handler and injection run on it. */
function migrated() {
  const d = small();
  d.units.pcpu.push({ id: 1, name: 'pcpu1', apic_id: 1 });
  const hyp = d.interrupts[1].steps.find((s) => s.name === 'hyp_handler').cycle;
  const inj = d.interrupts[1].steps.find((s) => s.name === 'injection').cycle;
  d.events.forEach((e) => {
    if (d.kinds[e[1]].unit === 'pcpu' && e[0] >= hyp && e[0] <= inj && String(e[3]) === TAG[1]) e[2] = 1;
  });
  return d;
}

/** The violation's event moved to the NIC that revealed it, as the trace writer records it, with its tag cleared. */
function deviceViolation() {
  const d = small();
  const v = d.violations[0];
  d.events.splice(v.event, 0, [v.cycle, kindOf(d, 'nic.packet'), 256, 0, 0]);
  v.event += 1;
  const e = d.events[v.event];
  e[2] = 256; e[3] = 0;
  return d;
}

describe('hypervisor slices, flows and names', () => {
  let server, br;
  before(async () => {
    server = await serve({ '/': VIEWER, '/traces/': FIXTURES }, {
      '/contract.json': JSON.stringify(withContract()), '/migrated.json': JSON.stringify(migrated()),
      '/devviol.json': JSON.stringify(deviceViolation()),
    });
    br = await browser();
  });
  after(async () => { await br?.close(); await server?.close(); });
  const load = async (trace) => {
    const r = await open(br.ctx, `${server.url}/index.html?trace=${trace}`);
    assert.equal(await r.page.evaluate(() => document.body.dataset.state), 'ready', await r.page.textContent('#error'));
    assert.deepEqual(r.errors, []);
    return r.page;
  };

  test('handler slices from hyp.handler_enter/exit under the pCPU lane, named', async () => {
    const page = await load('traces/small.json');
    const slices = await page.evaluate(() => {
      const t = window.pisimViewer.trace, sl = t.handlerSlices[0];
      return Array.from({ length: sl.n }, (_, i) => [sl.start[i], sl.end[i], sl.depth[i], t.handlerName(sl, i)]);
    });
    assert.deepEqual(slices, [[7210, 7500, 0, 'hyp vmexit (HLT)'], [12110, 12380, 0, 'hyp pi_wakeup'],
      [18420, 18570, 0, 'hyp timer'], [44630, 44780, 0, 'hyp timer']]);
    // hovering the handler row of pcpu0 names the handler
    const box = await page.locator('#timeline').boundingBox();
    const g = await page.evaluate(() => { const v = window.pisimViewer.viewer; v.view = { c0: 12000, c1: 12500 }; v.draw(); return { y: v.lanes[0].y, plotW: v.plotW }; });
    await page.mouse.move(box.x + 120 + g.plotW * (200 / 500), box.y + g.y + 22 + 6);
    assert.match(await page.textContent('#tip'), /^pcpu0: hyp pi_wakeup 12110-12380 \(270 cycles\)/);
    assert.match(await page.textContent('#legend'), /hypervisor: vmexitpi_wakeuptimer/);
  });

  test('the life names the unit of each step; the flow links them across lanes', async () => {
    const page = await load('traces/small.json');
    await page.click(`#irq-list .irq-row[data-tag="${TAG[1]}"]`);
    const life = await page.$$eval('.life-step', (l) => l.map((x) => `${x.dataset.name}:${x.dataset.unit}`));
    assert.deepEqual(life, ['device_write:nic0', 'vtd_request:vtd0', 'remapping:vtd0', 'posting:vtd0', 'notification:pcpu0',
      'hyp_handler:pcpu0', 'injection:pcpu0', 'virtual_delivery:d1v0']);
    const flow = await page.evaluate(() => { const v = window.pisimViewer.viewer; return v.selAnchors.map((e) => v.lanes[v.laneOfEvent(e)].label); });
    assert.deepEqual(flow, ['nic0', 'vtd0', 'vtd0', 'vtd0', 'pcpu0', 'pcpu0', 'pcpu0', 'd1v0']);
  });

  test('the inspector follows the interrupt to the pCPU its steps move to', async () => {
    const page = await load('migrated.json');
    await page.click(`#irq-list .irq-row[data-tag="${TAG[1]}"]`);
    const pcpu = () => page.$eval('#sel-pcpu', (s) => s.options[s.selectedIndex].text);
    const steps = [];
    for (let k = 0; k < 8; k++) {
      steps.push(`${(await inspector(page)).step}:${await pcpu()}`);
      await page.keyboard.press(']');
    }
    assert.deepEqual(steps.slice(4), ['notification:pcpu0', 'hyp_handler:pcpu1', 'injection:pcpu1', 'virtual_delivery:pcpu1']);
    assert.equal(await page.getAttribute('.life-step[data-name="hyp_handler"]', 'data-unit'), 'pcpu1');
    await page.selectOption('#sel-pcpu', '0');
    await page.keyboard.press('[');
    assert.equal(await pcpu(), 'pcpu0', 'a pCPU chosen by hand is kept');
  });

  test('violations are visible without scrolling; a click selects the interrupt', async () => {
    const page = await load('traces/small.json');
    const b = await page.locator('#violations div').first().boundingBox();
    assert.ok(b && b.y + b.height <= 1000, `violation at y ${b && b.y}`);
    assert.equal(await page.evaluate(() => window.scrollY), 0);
    await page.click('#violations div');
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[2]);
    assert.equal((await inspector(page)).cycle, 24400);
  });

  test('a violation revealed by a device event: its unit is the device, the vCPU\'s interrupt is selected', async () => {
    const page = await load('devviol.json');
    await page.click('#violations div');
    const s = await inspector(page);
    assert.match(s.event, /oracle\.violation \[nic0\]/);
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[2], 'the interrupt of d1v0 before it');
    const units = await page.evaluate(() => {
      const t = window.pisimViewer.trace, v = window.pisimViewer.viewer, names = new Set(Object.values(t.units).flat().map((u) => u.name));
      const bad = [];
      for (let e = 0; e < t.n; e++) { const m = /\[([^\]]*)\]/.exec(v.describe(e)); if (!names.has(m[1])) bad.push(v.describe(e)); }
      return bad;
    });
    assert.deepEqual(units, [], 'every event names a unit of the trace');
  });

  test('names from the trace: enums, interrupt names, NDST by the pCPU\'s APIC mode', async () => {
    const page = await load('contract.json');
    assert.match(await page.textContent(`#irq-list .irq-row[data-tag="${TAG[1]}"]`), /^nic0#2 0x10000000002/);
    assert.match(await page.textContent('#legend'), /hypervisor: VM exitposted-interrupt wakeuptimer/, 'handlers named by the trace');
    await page.click(`#irq-list .irq-row[data-tag="${TAG[1]}"]`);
    assert.match(await page.textContent('#life'), /^nic0#2 tag 0x10000000002/);
    for (let i = 0; i < 5; i++) await page.keyboard.press(']');
    const s = await inspector(page);
    assert.equal(s.step, 'hyp_handler');
    assert.match(s.event, /hyp\.handler_enter \[pcpu0\] tag 0x10000000002 \(nic0#2\)  handler=posted-interrupt wakeup detail=0xf1 vcpu=none/);
    assert.equal(await page.textContent('#pid-ndst'), '0x00000000 (x2APIC ID 0 = pcpu0)');
    const ndst = await page.evaluate(() => {
      const v = window.pisimViewer.viewer, p = window.pisimViewer.trace.units.pcpu;
      const x2 = v.ndstText(0x100);
      p[0].apic_mode = 'xapic';
      return [x2, v.ndstText(0x100), v.ndstText(0x0)];
    });
    assert.deepEqual(ndst, ['x2APIC ID 256, no pCPU', 'xAPIC ID 1, no pCPU', 'xAPIC ID 0 = pcpu0']);
    // built-in names where the trace has no enums: pCPU modes, vAPIC registers, oracles
    await page.click('#violations div');
    assert.match((await inspector(page)).event, /oracle\.violation \[oracles\] tag 0x10000000003 \(nic0#3\)  oracle=spurious_interrupt vcpu=d1v0/);
    const text = await page.evaluate(() => { const v = window.pisimViewer.viewer, t = window.pisimViewer.trace; return [...t.eventsOfKind('vapic.update')].slice(0, 1).concat([...t.eventsOfKind('cpu.mode')].slice(0, 1)).map((e) => v.describe(e)); });
    assert.match(text[0], /vapic\.update \[d1v0\].* offset=(VTPR|VPPR|VISR\d|VIRR\d) /);
    assert.match(text[1], /cpu\.mode \[pcpu0\]  mode=(root|non-root|guest HLT|idle) vcpu=/);
    // a trace without apic_mode: both readings of NDST
    const { page: p2 } = await open(br.ctx, `${server.url}/index.html?trace=traces/small.json`);
    assert.equal(await p2.evaluate(() => window.pisimViewer.viewer.ndstText(0x100)),
      'x2APIC ID 256, no pCPU or xAPIC ID 1, no pCPU: APIC mode not in the trace');
    assert.match(await p2.textContent('#pid-ndst'), /^0x00000000 \(x2APIC ID 0 = pcpu0 or xAPIC ID 0 = pcpu0: APIC mode not in the trace\)$/);
  });

  test('latency histogram and latency over time; a click on a point selects its interrupt', async () => {
    const page = await load('traces/small.json');
    const bins = await page.evaluate(() => { const v = window.pisimViewer.viewer; return { x: v.latBins.x, y: v.latBins.y, w: v.latBins.width }; });
    assert.equal(bins.y.reduce((a, b) => a + b, 0), 3, 'every delivered interrupt in one bin');
    assert.equal(await page.locator('#lat-hist canvas').count(), 1);
    assert.equal(await page.locator('#lat-time canvas').count(), 1);
    const pt = await page.evaluate((tag) => {
      const v = window.pisimViewer.viewer, u = v.timePlot, i = v.latIrqs.findIndex((x) => x.tagKey === tag);
      const r = u.over.getBoundingClientRect();
      return { x: r.left + u.valToPos(u.data[0][i], 'x'), y: r.top + u.valToPos(u.data[1][i], 'y') };
    }, TAG[1]);
    await page.mouse.move(pt.x, pt.y);
    await page.mouse.click(pt.x, pt.y);
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[1]);
    const ring = await page.locator('#lat-time .lat-ring').boundingBox();
    assert.ok(Math.abs(ring.x + ring.width / 2 - pt.x) < 2 && Math.abs(ring.y + ring.height / 2 - pt.y) < 2, 'the selected interrupt ringed on the chart');
  });
});
