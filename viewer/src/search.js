// viewer/src/search.js - binary searches over sorted typed arrays.

export function lowerBound(arr, x, lo = 0, hi = arr.length) {    // first i with arr[i] >= x
  while (lo < hi) { const m = (lo + hi) >>> 1; if (arr[m] < x) lo = m + 1; else hi = m; }
  return lo;
}
export function upperBound(arr, x, lo = 0, hi = arr.length) {    // first i with arr[i] > x
  while (lo < hi) { const m = (lo + hi) >>> 1; if (arr[m] <= x) lo = m + 1; else hi = m; }
  return lo;
}
// Same over an index array of event numbers, comparing their cycles.
export function lowerBoundIdx(idx, cyc, x) {
  let lo = 0, hi = idx.length;
  while (lo < hi) { const m = (lo + hi) >>> 1; if (cyc[idx[m]] < x) lo = m + 1; else hi = m; }
  return lo;
}
