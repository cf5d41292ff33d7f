// viewer/src/main.js - pisim's trace viewer (docs/trace-format.md): load, index, show.
// Bundled with the other modules of viewer/src into one script (viewer.js, esbuild; see
// viewer/CMakeLists.txt) that `pisim view` serves and `pisim report` inlines.
import { $ } from './text.js';
import { loadTraceText } from './load.js';
import { Trace } from './trace.js';
import { Viewer } from './viewer.js';

async function main() {
  const api = window.pisimViewer = { timings: {} };
  try {
    const t0 = performance.now();
    const { text, source } = await loadTraceText();
    const t1 = performance.now();
    const doc = JSON.parse(text);
    const t2 = performance.now();
    const trace = new Trace(doc);
    const t3 = performance.now();
    const viewer = new Viewer(trace);
    viewer.readHash();
    api.timings = { read: t1 - t0, parse: t2 - t1, index: t3 - t2, total: performance.now() - t0, ...trace.timings };
    api.source = source;
    api.viewer = viewer;
    api.trace = trace;
    document.body.dataset.state = 'ready';
  } catch (err) {
    const el = $('error');
    el.hidden = false;
    el.textContent = `Cannot show the trace: ${err.message}\n` +
      'Open a trace with `pisim view TRACE` or `pisim report TRACE -o FILE.html`.';
    document.body.dataset.state = 'error';
    console.error(err);
  }
}
main();
