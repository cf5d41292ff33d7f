// viewer/src/text.js - the only way trace strings reach the page: as text nodes.
//
// Every string of a trace (names of units, kinds, args and steps, violation texts, the
// scenario) reaches the page as text: through el() below, textContent, new Option or the
// canvas, never as markup. The pages also carry a Content-Security-Policy (cli/cmd_view.cpp).

export const $ = (id) => document.getElementById(id);

/**
 * A DOM element built from parts, never from markup. `attrs` (literal names only): `class`,
 * `style` (an object of style properties), any other name as an attribute; each child is a
 * node, an array of children, or a value shown as text. null, undefined and false are skipped.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (name === 'class') node.className = v;
    else if (name === 'style') Object.assign(node.style, v);
    else node.setAttribute(name, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}
export const hex = (v, w = 0) => '0x' + v.toString(16).padStart(w, '0');
