// viewer/src/load.js - reading the trace: inline (pisim report) or fetched (pisim view).
// The trace is read from an inline <script id="pisim-trace" type="application/json"> (what
// `pisim report` writes) or fetched from ?trace= (default trace.json), a path on the page's
// own origin (what `pisim view` serves).

export async function loadTraceText() {
  const inline = document.getElementById('pisim-trace');
  if (inline) return { text: inline.textContent, source: 'inline' };
  const param = new URLSearchParams(location.search).get('trace') || 'trace.json';
  const url = sameOriginUrl(param);
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`cannot read ${param}: HTTP ${r.status}`);
  return { text: await r.text(), source: param };
}

/** ?trace= resolved: a path on the page's own origin; a link cannot point the page elsewhere. */
function sameOriginUrl(param) {
  const url = new URL(param, location.href);
  if (url.origin !== location.origin || url.username || url.password) throw new Error('?trace= must be a path on this server');
  return url.href;
}

/**
 * The events in time order, as the trace reader of `pisim export` takes them
 * (platform/trace_reader.h): an event written after one of a later cycle moves to its own
 * cycle, after the events already there. `remap[i]` is the new index of the file's event i;
 * null when the file is in order (what `pisim run` writes).
 */
export function inTimeOrder(events) {
  const cyc = (r) => (Array.isArray(r) ? (typeof r[0] === 'number' ? r[0] : Number(BigInt(r[0]))) : NaN);
  let prev = -Infinity, sorted = true;
  for (let i = 0; i < events.length && sorted; i++) { const c = cyc(events[i]); sorted = !(c < prev); prev = c; }
  if (sorted) return { events, remap: null };
  const order = events.map((_, i) => i).sort((a, b) => (cyc(events[a]) - cyc(events[b])) || (a - b));
  const remap = new Int32Array(events.length);
  order.forEach((old, pos) => { remap[old] = pos; });
  return { events: order.map((i) => events[i]), remap };
}
