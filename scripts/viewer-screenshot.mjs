#!/usr/bin/env node
// scripts/viewer-screenshot.mjs - regenerates docs/viewer.png from a real run: the library race
// scenario races/irte-torn-read.yaml on the irte_two_stores mutant core (the IRTE written in
// two 64-bit stores; the torn_irte oracle catches VT-d reading it half-written), through
// `pisim report`, opened from disk in headless Chromium, the first violation clicked.
// Needs build/pisim and build/mutants/libhyp-irte_two_stores.so (cmake --build build --target
// pisim hyp_mutant_irte_two_stores). Usage: node scripts/viewer-screenshot.mjs [OUT.png]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { browser, open, BUILD, ROOT } from '../tests/viewer/harness.mjs';

const out = process.argv[2] || join(ROOT, 'docs', 'viewer.png');
const dir = mkdtempSync(join(tmpdir(), 'pisim-screenshot-'));
const pisim = join(BUILD, 'pisim');
try {
  const trace = join(dir, 'trace.json'), report = join(dir, 'report.html');
  try {
    execFileSync(pisim, ['run', 'scenarios/races/irte-torn-read.yaml', '--hyp', join(BUILD, 'mutants/libhyp-irte_two_stores.so'),
      '--trace', trace, '-q'], { stdio: 'inherit', cwd: ROOT });
    throw new Error('the mutant core was expected to violate an oracle (exit 1)');
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  execFileSync(pisim, ['report', trace, '-o', report], { stdio: 'inherit' });
  const br = await browser({ width: 1400, height: 1100 });
  try {
    const { page, errors } = await open(br.ctx, pathToFileURL(report).href);
    if (errors.length) throw new Error(errors.join('\n'));
    await page.click('#violations div');
    // the timeline on the life of the interrupt the violation names
    await page.evaluate(() => {
      const v = window.pisimViewer.viewer, s = v.selIrq.steps, a = s[0].cycle, b = s[s.length - 1].cycle, span = (b - a) * 1.5;
      v.view = { c0: a - span / 6, c1: a - span / 6 + span };
      v.draw();
    });
    await page.waitForTimeout(300);
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}: ${await page.textContent('#meta')}`);
    console.log(`violation: ${await page.textContent('#violations div')}`);
  } finally {
    await br.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
