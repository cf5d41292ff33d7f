// viewer/src/latency.js - latency of the delivered interrupts (device write to guest ISR entry,
// cycles): a histogram and latency over time (by device write cycle), drawn with uPlot (npm,
// bundled). A click on the time chart selects the interrupt nearest the mouse; the selected
// interrupt is ringed there.
import uPlot from 'uplot';
import { $, el } from './text.js';

/** Bin edges for the histogram: about 40 bins of a round width (1, 2 or 5 times a power of ten). */
export function latencyBins(latencies) {
  if (!latencies.length) return { x: [], y: [], width: 1 };
  let lo = Infinity, hi = -Infinity;
  for (const v of latencies) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const raw = Math.max(1, (hi - lo) / 40);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const width = [1, 2, 5, 10].map((m) => m * p).find((w) => w >= raw);
  const first = Math.floor(lo / width) * width, n = Math.floor((hi - first) / width) + 1;
  const y = new Array(n).fill(0);
  for (const v of latencies) y[Math.floor((v - first) / width)]++;
  return { x: y.map((_, i) => first + i * width), y, width };
}

export class LatencyPart {
  buildLatency() {
    const t = this.t;
    const done = t.interrupts.filter((x) => x.delivered && x.latency !== null).sort((a, b) => (a.start - b.start) || (a.i - b.i));
    this.latIrqs = done;
    const box = $('latency');
    if (!done.length) { box.hidden = true; return; }
    const bins = this.latBins = latencyBins(done.map((x) => x.latency));
    const width = () => Math.max(200, Math.floor(($('latency').clientWidth - 16) / 2));
    const axes = (xlabel) => [
      { label: xlabel, size: 36, values: (u, v) => v.map((c) => String(c)) },
      { label: '', size: 50, values: (u, v) => v.map((c) => String(c)) },
    ];
    this.histPlot = new uPlot({
      width: width(), height: 150, title: `latency histogram (${done.length} delivered; bins of ${bins.width} cycles)`,
      scales: { x: { time: false, range: (u, a, b) => [a, b + bins.width] } },
      axes: [{ ...axes('latency, cycles')[0] }, { ...axes()[1], label: 'interrupts' }],
      legend: { show: false }, cursor: { drag: { x: false, y: false } },
      series: [{}, { label: 'interrupts', fill: '#2457c5aa', stroke: '#2457c5', paths: uPlot.paths.bars({ size: [1, Infinity], align: 1 }), points: { show: false } }],
    }, [bins.x, bins.y], $('lat-hist'));
    this.timePlot = new uPlot({
      width: width(), height: 150, title: 'latency over time (click: select the interrupt)',
      scales: { x: { time: false } },
      axes: [{ ...axes('device write, cycles')[0] }, { ...axes()[1], label: 'latency, cycles' }],
      legend: { show: false }, cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      series: [{}, { label: 'latency', stroke: '#c0504d', paths: () => null, points: { show: true, size: 4, fill: '#c0504d' } }],
      hooks: { setSize: [() => this.placeLatRing()] },
    }, [done.map((x) => x.start), done.map((x) => x.latency)], $('lat-time'));
    // the selected interrupt, ringed: an element over the plot, moved without redrawing it
    this.latRing = el('div', { class: 'lat-ring', hidden: true });
    this.timePlot.over.append(this.latRing);
    this.timePlot.over.addEventListener('click', () => {
      const i = this.timePlot.cursor.idx;
      if (i !== null && i !== undefined && done[i]) this.selectIrq(done[i], true);
    });
    window.addEventListener('resize', () => {
      this.histPlot.setSize({ width: width(), height: 150 });
      this.timePlot.setSize({ width: width(), height: 150 });
    });
  }

  placeLatRing() {
    const ring = this.latRing, x = this.selIrq, u = this.timePlot;
    if (!ring || !u) return;
    ring.hidden = !x || !x.delivered || x.latency === null;
    if (ring.hidden) return;
    ring.style.left = `${u.valToPos(x.start, 'x')}px`;
    ring.style.top = `${u.valToPos(x.latency, 'y')}px`;
  }
}
