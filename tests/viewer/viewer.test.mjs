// tests/viewer/viewer.test.mjs - the trace viewer against fixtures/small.json in headless
// Chromium: loading (fetched and inlined), the life of each interrupt as the inspector
// shows it step by step, the violation, the URL hash, the interrupt list, the screenshot.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, browser, open, inspector, VIEWER, VIEWER_SRC, FIXTURES } from './harness.mjs';
import { parseKinds } from './trace-builder.mjs';
import { buildSmall } from './gen-fixture.mjs';

const FIXTURE = join(FIXTURES, 'small.json');
const NV = 0xf2, WV = 0xf1;
const TAG = ['1099511627777', '1099511627778', '1099511627779'];

describe('fixture and page contract (no browser)', () => {
  test('fixture follows docs/trace-format.md and the kinds of model/common/trace.h', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    assert.equal(text, buildSmall(), 'fixtures/small.json is what gen-fixture.mjs writes');
    const d = JSON.parse(text);
    assert.equal(d.format, 'pisim-trace');
    assert.equal(d.version, 1);
    for (const f of ['scenario', 'seed', 'profile', 'irq_mode', 'end_cycle', 'truncated', 'units', 'kinds', 'events', 'interrupts', 'violations']) {
      assert.ok(f in d, `field ${f}`);
    }
    assert.deepEqual(d.kinds, parseKinds().map((k) => ({ name: k.name, unit: k.unit, args: k.args })));
    const ids = Object.fromEntries(Object.entries(d.units).map(([k, l]) => [k, new Set(l.map((u) => u.id))]));
    const isValue = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) ||
      (typeof v === 'string' && /^0x[0-9a-f]+$/.test(v) && BigInt(v) >= 2n ** 53n);
    let prev = 0;
    d.events.forEach((e, i) => {
      const k = d.kinds[e[1]];
      assert.ok(k, `event ${i} kind`);
      assert.equal(e.length, 4 + k.args.length, `event ${i} (${k.name}) has one value per named arg`);
      assert.ok(e[0] >= prev, `event ${i} ordered by cycle`);
      prev = e[0];
      assert.ok(ids[k.unit].has(e[2]), `event ${i} unit ${k.unit} ${e[2]} exists`);
      e.forEach((v, j) => j !== 1 && j !== 2 && assert.ok(isValue(v), `event ${i} value ${j}: ${v}`));
    });
    assert.ok(d.events.some((e) => e.some((v) => typeof v === 'string')), 'some values >= 2^53 are hex strings');
    assert.equal(d.interrupts.length, 3);
    for (const irq of d.interrupts) {
      assert.ok(irq.delivered);
      const write = irq.steps.find((s) => s.name === 'device_write').cycle;
      const isr = irq.steps[irq.steps.length - 1];
      assert.equal(isr.name, 'virtual_delivery');
      assert.equal(irq.latency, isr.cycle - write);
      const isrEvent = d.events.find((e) => d.kinds[e[1]].name === 'guest.isr_begin' && String(e[3]) === String(irq.tag));
      assert.equal(isrEvent[0], isr.cycle, 'virtual_delivery is the guest ISR entry');
    }
    assert.equal(d.violations.length, 1);
    const v = d.violations[0];
    assert.equal(d.kinds[d.events[v.event][1]].name, 'oracle.violation');
    assert.equal(d.events[v.event][0], v.cycle);
  });

  test('index.html keeps the inlining contract of pisim report', () => {
    const html = readFileSync(join(VIEWER_SRC, 'index.html'), 'utf8');
    const count = (s) => html.split(s).length - 1;
    assert.equal(count('<link rel="stylesheet" href="viewer.css">'), 1);
    assert.equal(count('<script src="viewer.js"></script>'), 1);
    assert.equal(count('<!-- pisim-trace -->'), 1);
    assert.equal(count('<meta charset="utf-8">'), 1, 'the report puts its Content-Security-Policy after it');
    assert.ok(html.indexOf('<meta charset="utf-8">') < html.indexOf('<link'), 'the policy comes before any style or script');
    const src = join(VIEWER_SRC, 'src');
    const js = readdirSync(src).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(src, f), 'utf8')).join('\n');
    assert.doesNotMatch(html + js, /\son[a-z]+=|innerHTML|outerHTML|insertAdjacentHTML|document\.write|style="/,
      'no markup from strings, no inline handlers or style attributes (the pages\' Content-Security-Policy forbids them)');
    assert.ok(html.indexOf('<!-- pisim-trace -->') < html.indexOf('<script src="viewer.js"></script>'), 'trace before the script');
    const bundle = readFileSync(join(VIEWER, 'viewer.js'), 'utf8');
    assert.doesNotMatch(bundle, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'nor in the libraries bundled with it');
    assert.doesNotMatch(html + bundle + readFileSync(join(VIEWER, 'viewer.css'), 'utf8'),
      /https?:\/\//, 'no network reference (CDN, fonts)');
  });
});

describe('viewer in Chromium on the fixture', () => {
  let server, br;
  before(async () => {
    const html = readFileSync(join(VIEWER, 'index.html'), 'utf8');
    // What `pisim report` does: the trace inlined at the marker, "</" escaped inside JSON.
    const inline = html.replace('<!-- pisim-trace -->',
      '<script id="pisim-trace" type="application/json">' + readFileSync(FIXTURE, 'utf8').replace(/<\//g, '<\\/') + '</script>');
    // The fixture with tags of 2^60 and more: written as "0x..." strings (docs/trace-format.md).
    const d = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const bigTag = (t) => (t === 0 ? 0 : '0x' + ((1n << 60n) + BigInt(t)).toString(16));
    d.events.forEach((e) => { e[3] = bigTag(e[3]); });
    d.interrupts.forEach((x) => { x.tag = bigTag(x.tag); });
    // The fixture cut just after the violation: the third interrupt is never delivered (lost).
    const lost = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const cut = lost.violations[0].event + 2;
    lost.end_cycle = lost.events[cut - 1][0] + 1000;
    lost.events = lost.events.slice(0, cut);
    const third = lost.interrupts[2];
    Object.assign(third, { delivered: false, latency: null, steps: third.steps.filter((x) => x.cycle <= lost.end_cycle) });
    // The fixture with one event written late (after events of later cycles), as the trace
    // reader of `pisim export` accepts it (platform/trace_reader.h: moved to its cycle).
    const late = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const [moved] = late.events.splice(10, 1);
    late.events.splice(40, 0, moved);
    late.violations.forEach((v) => { v.event -= v.event > 10 && v.event <= 40 ? 1 : 0; });
    server = await serve({ '/': VIEWER, '/traces/': FIXTURES }, {
      '/report.html': inline, '/bigtags.json': JSON.stringify(d), '/lost.json': JSON.stringify(lost), '/late.json': JSON.stringify(late),
    });
    br = await browser();
  });
  after(async () => { await br?.close(); await server?.close(); });

  const load = async (hash = '') => {
    const r = await open(br.ctx, `${server.url}/index.html?trace=traces/small.json${hash}`);
    assert.equal(await r.page.evaluate(() => document.body.dataset.state), 'ready');
    return r;
  };
  const rows = (page) => page.$$eval('#irq-list .irq-row', (rs) => rs.map((r) => r.dataset.tag));
  const selectIrq = async (page, tag) => {
    await page.click(`#irq-list .irq-row[data-tag="${tag}"]`);
    return inspector(page);
  };
  const next = async (page) => { await page.keyboard.press(']'); return inspector(page); };

  test('loads the trace given by ?trace= and lists its interrupts', async () => {
    const { page, errors } = await load();
    assert.deepEqual(await rows(page), TAG);
    assert.match(await page.textContent('#meta'), /137 events · 3 interrupts/);
    assert.equal(await page.textContent('#legend'), 'pCPU: rootnon-rootguest HLTidle \u00a0 vCPU: runnablerunningblocked' +
      ' \u00a0 hypervisor: vmexitpi_wakeuptimer \u00a0 marks: interrupt accepted by the local APIC guest ISR entry \u00a0 violation cursor selected interrupt');
    assert.equal(await page.locator('#legend i').count(), 15, 'a colour swatch before each name');
    assert.equal(await page.evaluate(() => window.pisimViewer.source), 'traces/small.json');
    const lanes = await page.evaluate(() => window.pisimViewer.viewer.lanes.map((l) => `${l.type}:${l.label}`));
    assert.deepEqual(lanes, ['pcpu:pcpu0', 'vcpu:d1v0', 'vtd:vtd0', 'dev:nic0']);
    assert.deepEqual(errors, []);
  });

  test('reads an inlined trace (pisim report) without fetching', async () => {
    const page = br.ctx.pages()[0];
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    const r = await open(br.ctx, `${server.url}/report.html`);
    page.removeAllListeners('request');
    assert.equal(await r.page.evaluate(() => document.body.dataset.state), 'ready');
    assert.equal(await r.page.evaluate(() => window.pisimViewer.source), 'inline');
    assert.deepEqual(await rows(r.page), TAG);
    assert.ok(!fetched.some((p) => p.endsWith('.json')), `no trace fetched: ${fetched}`);
  });

  test('reports a missing trace instead of showing nothing', async () => {
    const { page } = await open(br.ctx, `${server.url}/index.html?trace=traces/none.json`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
    assert.match(await page.textContent('#error'), /HTTP 404/);
  });

  test('life of a posted interrupt to a running vCPU, step by step', async () => {
    const { page } = await load();
    let s = await selectIrq(page, TAG[0]);
    const life = await page.$$eval('.life-step', (l) => l.map((x) => [x.dataset.name, Number(x.dataset.cycle), Number(x.dataset.delta)]));
    assert.deepEqual(life, [['device_write', 2040, 0], ['vtd_request', 2160, 120], ['remapping', 2340, 180], ['posting', 2600, 260],
      ['notification', 2840, 240], ['pi_processing', 2910, 70], ['virtual_delivery', 3050, 140]]);
    assert.equal(await page.textContent('#life-latency'), '1010');
    assert.equal(s.step, 'device_write');
    assert.equal(s.cycle, 2040);
    assert.deepEqual([s.pir, s.on, s.sn, s.nv, s.irr], [[], 0, 0, NV, []]);
    assert.match(s.event, /nic\.msi_write \[nic0\] tag 0x10000000001/);
    s = await next(page); assert.equal(s.step, 'vtd_request'); assert.deepEqual(s.pir, []);
    s = await next(page); assert.equal(s.step, 'remapping'); assert.match(s.event, /vtd\.irte_fetch .* irte_lo=0x7f2a100000308001/);
    s = await next(page); // posting: PIR[0x30] set, ON set (SN = 0), NV the notification vector
    assert.equal(s.step, 'posting');
    assert.deepEqual([s.pir, s.pirCells, s.on, s.sn, s.nv, s.ndst], [[0x30], [0x30], 1, 0, NV, 0]);
    assert.deepEqual(s.irr, []);
    s = await next(page); // notification accepted by pcpu0's local APIC
    assert.equal(s.step, 'notification');
    assert.deepEqual([s.irr, s.irrCells, s.isr, s.pir, s.on], [[NV], [NV], [], [0x30], 1]);
    await page.keyboard.press('n'); // the CPU acknowledges the notification: IRR -> ISR
    s = await inspector(page);
    assert.match(s.event, /apic\.dispatch/);
    assert.deepEqual([s.irr, s.isr, s.ppr], [[], [NV], 0xf0]);
    await page.keyboard.press('p');
    assert.deepEqual((await inspector(page)).irr, [NV]);
    s = await next(page); // posted-interrupt processing: ON cleared, EOI, PIR -> VIRR, RVI
    assert.equal(s.step, 'pi_processing');
    assert.deepEqual([s.pir, s.on, s.irr, s.isr, s.virr, s.rvi, s.svi], [[], 0, [], [], [0x30], 0x30, 0]);
    s = await next(page); // virtual-interrupt delivery: VISR, SVI, VPPR, RVI
    assert.equal(s.step, 'virtual_delivery');
    assert.deepEqual([s.virr, s.visr, s.visrCells, s.rvi, s.svi, s.vppr], [[], [0x30], [0x30], 0, 0x30, 0x30]);
    s = await next(page);
    assert.equal(s.step, 'virtual_delivery', 'no step after the last one');
    await page.keyboard.press('[');
    assert.equal((await inspector(page)).step, 'pi_processing');
    await page.click('.life-step[data-name="posting"]');
    s = await inspector(page);
    assert.deepEqual([s.step, s.cycle, s.pir], ['posting', 2600, [0x30]]);
    assert.deepEqual(await page.$$eval('.life-step.future', (l) => l.map((x) => x.dataset.name)), ['notification', 'pi_processing', 'virtual_delivery']);
  });

  test('life of an interrupt to a blocked vCPU: wakeup vector and blocking list', async () => {
    const { page } = await load();
    let s = await selectIrq(page, TAG[1]);
    assert.deepEqual(s.blocklists, [{ pcpu: 0, vcpus: ['d1v0'] }], 'blocked vCPU on pcpu0\'s list');
    assert.equal(s.nv, WV);
    assert.match(await page.textContent('#lane-state'), /pcpu0: idle · d1v0: blocked/);
    s = await next(page); s = await next(page); s = await next(page);
    assert.equal(s.step, 'posting');
    assert.deepEqual([s.pir, s.on, s.nv], [[0x30], 1, WV]);
    s = await next(page);
    assert.equal(s.step, 'notification');
    assert.deepEqual([s.irr, s.isr], [[WV], []]);
    s = await next(page);
    assert.equal(s.step, 'hyp_handler');
    assert.deepEqual([s.irr, s.isr, s.ppr], [[], [WV], 0xf0]);
    assert.deepEqual(s.blocklists[0].vcpus, ['d1v0'], 'still listed when the wakeup handler starts');
    s = await next(page); // the entry path restored NV and merged PIR into VIRR
    assert.equal(s.step, 'injection');
    assert.deepEqual(s.blocklists[0].vcpus, []);
    assert.deepEqual([s.nv, s.on, s.pir, s.virr, s.rvi, s.isr], [NV, 0, [], [0x30], 0x30, []]);
    s = await next(page);
    assert.equal(s.step, 'virtual_delivery');
    assert.deepEqual([s.visr, s.svi, s.rvi, s.vppr], [[0x30], 0x30, 0, 0x30]);
  });

  test('preempted vCPU: SN suppresses the notification, then go to the violation', async () => {
    const { page } = await load();
    let s = await selectIrq(page, TAG[2]);
    for (let i = 0; i < 3; i++) s = await next(page);
    assert.equal(s.step, 'posting');
    assert.deepEqual([s.pir, s.on, s.sn, s.irr], [[0x3a], 0, 1, []], 'PIR only: no ON, no notification');
    assert.match(s.event, /vtd\.post .*new_control=0xf20002 notify=0/);
    await page.keyboard.press('v');
    s = await inspector(page);
    assert.equal(s.cycle, 24400);
    assert.match(s.event, /#107 @24400 oracle\.violation \[oracles\]/);
    assert.equal(await page.getAttribute('#violations div.current', 'data-event'), '107');
    assert.deepEqual([s.pir, s.on, s.sn, s.rvi, s.virr], [[0x3a], 0, 0, 0, []], 'PIR forgotten at VM entry');
    assert.equal(s.step, 'posting', 'the interrupt is still waiting after posting');
    await page.keyboard.press('v');
    assert.equal((await inspector(page)).cycle, 24400, 'no later violation');
    s = await next(page);
    assert.equal(s.step, 'vm_exit');
    assert.equal(await page.textContent('#life-latency'), '24970');
    await page.click('#prev-violation');
    assert.equal((await inspector(page)).cycle, 24400);
    await page.keyboard.press('V');
    assert.equal((await inspector(page)).cycle, 24400, 'no earlier violation');
    // from a fresh page: the violation's event carries the tag, so its interrupt is selected
    const { page: p2 } = await load();
    await p2.keyboard.press('v');
    assert.equal(await p2.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[2]);
    assert.equal((await inspector(p2)).step, 'posting');
  });

  test('event and interrupt stepping by keys and buttons', async () => {
    const { page } = await load();
    const ev = () => page.evaluate(() => window.pisimViewer.viewer.cursor.event);
    assert.equal(await ev(), -1);
    await page.keyboard.press('n'); assert.equal(await ev(), 0);
    await page.click('#next-event'); assert.equal(await ev(), 1);
    await page.keyboard.press('p'); assert.equal(await ev(), 0);
    const near = await page.$$eval('#events-near li', (l) => l.map((x) => [Number(x.dataset.e), x.className.trim()]));
    assert.deepEqual(near.slice(0, 2), [[0, 'current applied'], [1, '']]);
    assert.equal(near.length, 14);
    await page.click('#events-near li[data-e="5"]');
    assert.equal(await ev(), 5);
    assert.match(await page.textContent('#events-near li.current'), /^#5 @/);
    await page.keyboard.press('p'); await page.keyboard.press('p'); await page.keyboard.press('p'); await page.keyboard.press('p');
    await page.keyboard.press('End'); assert.equal(await ev(), 136);
    await page.keyboard.press('Home'); assert.equal(await ev(), -1);
    await page.click('#next-irq');
    assert.equal((await inspector(page)).cycle, 2040);
    await page.keyboard.press('j');
    assert.equal((await inspector(page)).cycle, 10790);
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[1]);
    await page.keyboard.press('j'); await page.keyboard.press('j');
    assert.equal((await inspector(page)).cycle, 20380, 'stays on the last interrupt');
    await page.keyboard.press('k');
    assert.equal((await inspector(page)).cycle, 10790);
    await page.click('#prev-irq');
    assert.equal((await inspector(page)).cycle, 2040);
    // zoom and pan change the view, not the cursor
    const span = () => page.evaluate(() => { const v = window.pisimViewer.viewer.view; return v.c1 - v.c0; });
    const s0 = await span();
    await page.keyboard.press('+');
    assert.ok(Math.abs(await span() - s0 / 1.5) < 1e-6);
    await page.click('#zoom-out');
    assert.ok(Math.abs(await span() - s0) < 1e-6);
    const c0 = await page.evaluate(() => window.pisimViewer.viewer.view.c0);
    await page.keyboard.press('ArrowRight');
    assert.ok(Math.abs(await page.evaluate(() => window.pisimViewer.viewer.view.c0) - (c0 + s0 * 0.1)) < 1e-6);
    await page.click('#zoom-fit');
    assert.deepEqual(await page.evaluate(() => window.pisimViewer.viewer.view), { c0: 0, c1: 48270 });
    // a click on the timeline sets the cursor at that cycle and selects the lane's vCPU
    const box = await page.locator('#timeline').boundingBox();
    const plotW = await page.evaluate(() => window.pisimViewer.viewer.plotW);
    // the middle of the state bar of lane i (a pCPU lane has the hypervisor's handlers under it)
    const laneY = await page.evaluate(() => window.pisimViewer.viewer.lanes.map((l) => l.y + 11));
    await page.mouse.click(box.x + 120 + plotW * (12000 / 48270), box.y + laneY[1]);
    const s = await inspector(page);
    assert.ok(Math.abs(s.cycle - 12000) < 48270 / plotW + 1, `cursor near 12000: ${s.cycle}`);
    assert.equal(await ev(), (await page.evaluate(() => window.pisimViewer.trace.eventAtCycle(Number(document.getElementById('cursor-cycle').textContent)))));
    // hovering shows the lane's state and the event under the mouse
    await page.mouse.move(box.x + 120 + plotW * (12000 / 48270), box.y + laneY[0]);
    assert.match(await page.textContent('#tip'), /^pcpu0: root since 11990/);
    assert.equal(await page.isVisible('#tip'), true);
    const post = 11350; // vtd.post of the second interrupt, on the VT-d lane
    await page.mouse.move(box.x + 120 + plotW * (post / 48270), box.y + laneY[2]);
    assert.match(await page.textContent('#tip'), /^#51 @11350 vtd\.post \[vtd0\] tag 0x10000000002  index=0 pid=0x7f2a1000 vector=0x30 old_control=0xf10000 new_control=0xf10001 notify=1/);
    // wheel zooms in around the mouse
    await page.mouse.move(box.x + 120 + plotW / 2, box.y + 30);
    await page.mouse.wheel(0, -300);
    assert.ok(await span() < 48270);
  });

  test('URL hash keeps the cycle and the selection across a reload', async () => {
    const { page } = await load();
    await selectIrq(page, TAG[1]);
    for (let i = 0; i < 5; i++) await next(page);
    const s = await inspector(page);
    assert.equal(s.step, 'hyp_handler');
    await page.waitForFunction(() => location.hash.includes('c=12110'));
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, new RegExp(`c=12110&e=56&irq=${TAG[1]}&vcpu=0&pcpu=0`));
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    const r = await inspector(page);
    assert.deepEqual({ ...r, hash: null }, { ...s, hash: null });
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), TAG[1]);
    // a hand-written link: cycle only
    const { page: p2 } = await load('#c=24400&vcpu=0');
    const v = await inspector(p2);
    assert.equal(v.cycle, 24400);
    assert.match(v.event, /#108 @24400 cpu\.mode/, 'every event at that cycle applied');
    assert.deepEqual([v.pir, v.on, v.sn], [[0x3a], 0, 0]);
    assert.equal(v.step, null, 'no interrupt selected');
  });

  test('tags of 2^53 and more (hex strings) select, step and round-trip exactly', async () => {
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=bigtags.json`);
    assert.deepEqual(errors, []);
    const tags = TAG.map((t) => ((1n << 60n) + BigInt(t)).toString());
    assert.deepEqual(await rows(page), tags);
    let s = await selectIrq(page, tags[0]);
    const tagged = await page.evaluate(() => window.pisimViewer.viewer.selIrqEvents.length);
    const d = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    assert.equal(tagged, d.events.filter((e) => e[3] === Number(TAG[0])).length);
    for (let i = 0; i < 3; i++) s = await next(page);
    assert.equal(s.step, 'posting');
    assert.deepEqual([s.pir, s.on], [[0x30], 1]);
    assert.match(s.event, /tag 0x1000010000000001/);
    await page.waitForFunction((t) => location.hash.includes(`c=2600&`) && location.hash.includes(`irq=${t}`), tags[0]);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    assert.equal(await page.getAttribute('#irq-list .irq-row.selected', 'data-tag'), tags[0]);
    assert.equal((await inspector(page)).step, 'posting');
  });

  test('a lost interrupt: listed as not delivered, sorted last by latency, its PIR bit left pending', async () => {
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=lost.json`);
    assert.deepEqual(errors, []);
    assert.equal(await page.getAttribute(`#irq-list .irq-row[data-tag="${TAG[2]}"]`, 'class'), 'irq-row lost');
    assert.match(await page.textContent(`#irq-list .irq-row[data-tag="${TAG[2]}"]`), /20380—posting$/);
    await page.click('#irq-head [data-col="latency"]');
    await page.click('#irq-head [data-col="latency"]');
    assert.deepEqual(await rows(page), [TAG[1], TAG[0], TAG[2]], 'descending, the lost one last');
    await page.check('#filter-undelivered');
    assert.deepEqual(await rows(page), [TAG[2]]);
    await selectIrq(page, TAG[2]);
    assert.match(await page.textContent('#life'), /not delivered/);
    assert.equal(await page.locator('.life-step').count(), 4);
    await page.keyboard.press('End');
    const s = await inspector(page);
    assert.deepEqual([s.pir, s.on, s.sn, s.virr, s.rvi], [[0x3a], 0, 0, [], 0], 'PIR bit pending, nothing will deliver it');
    assert.equal(s.step, null, 'past the last step');
  });

  test('an event written late is shown at its own cycle, as pisim export reads it', async () => {
    const small = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const { page, errors } = await open(br.ctx, `${server.url}/index.html?trace=late.json`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    assert.deepEqual(errors, []);
    const got = await page.evaluate(() => {
      const t = window.pisimViewer.trace;
      return { cycles: Array.from(t.cycle), kinds: Array.from(t.kind), violation: t.violations[0].event };
    });
    assert.deepEqual(got.cycles, small.events.map((e) => e[0]));
    assert.deepEqual(got.kinds, small.events.map((e) => e[1]), 'the late event back among the events of its cycle');
    assert.equal(got.violation, small.violations[0].event, 'the violation still names its event');
  });

  test('interrupt list sorts by column and filters by vCPU and vector', async () => {
    const { page } = await load();
    await page.click('#irq-head [data-col="latency"]');
    assert.deepEqual(await rows(page), TAG);
    await page.click('#irq-head [data-col="latency"]');
    assert.deepEqual(await rows(page), [...TAG].reverse());
    assert.equal(await page.getAttribute('#irq-head [data-col="latency"]', 'class'), 'desc');
    await page.click('#irq-head [data-col="vector"]');
    assert.deepEqual(await rows(page), TAG, 'vector ascending, ties in trace order');
    await page.click('#irq-head [data-col="vector"]');
    assert.deepEqual(await rows(page), [TAG[2], TAG[0], TAG[1]]);
    await page.fill('#filter-vector', '0x3a');
    assert.deepEqual(await rows(page), [TAG[2]]);
    assert.equal(await page.textContent('#irq-count'), '(1 of 3)');
    await page.fill('#filter-vector', '48');
    assert.deepEqual((await rows(page)).sort(), [TAG[0], TAG[1]]);
    await page.fill('#filter-vector', '');
    await page.selectOption('#filter-vcpu', '0');
    assert.equal((await rows(page)).length, 3);
    await page.check('#filter-undelivered');
    assert.deepEqual(await rows(page), []);
  });

  test('screenshot of the viewer on the fixture (build/viewer-fixture.png; docs/viewer.png comes from a real run: scripts/viewer-screenshot.mjs)', async () => {
    const { page } = await load();
    await selectIrq(page, TAG[1]);
    for (let i = 0; i < 4; i++) await next(page);
    await page.evaluate(() => { const v = window.pisimViewer.viewer; v.view = { c0: 9000, c1: 27000 }; v.draw(); });
    const png = await page.screenshot({ fullPage: true });
    assert.ok(png.length > 10000);
    writeFileSync(join(VIEWER, '..', 'viewer-fixture.png'), png);
  });
});
