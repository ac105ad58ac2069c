// @ts-check
// The element's markup (static: every value goes in through textContent or an attribute) and
// the QR code of the tel: URI as SVG, drawn with DOM calls so that no inline style is needed.

import { encode } from './qr.js'

const SVG = 'http://www.w3.org/2000/svg'

export const MARKUP = `
<section class="root" part="root" aria-labelledby="title">
  <h2 id="title" part="title"></h2>
  <p class="intro" part="intro"></p>
  <div class="facts" hidden>
    <dl>
      <div><dt><span class="t-from"></span><small class="t-fromSub"></small></dt><dd class="masked" part="masked"></dd></div>
      <div><dt><span class="t-to"></span><small class="t-toSub"></small></dt><dd><a class="number" part="number"></a></dd></div>
    </dl>
    <div class="handoff" part="handoff" hidden><div class="qr" part="qr"></div><p class="t-qrHint"></p></div>
    <a class="call" part="call" hidden></a>
    <p class="timer" part="timer" role="timer" aria-atomic="true"></p>
  </div>
  <p class="status" part="status" role="status" aria-live="polite" aria-atomic="true"></p>
  <p class="error" part="error" role="alert"></p>
  <div class="actions" hidden>
    <button type="button" class="confirm" part="confirm"></button>
    <button type="button" class="cancel" part="cancel"></button>
  </div>
  <section class="notes" part="notes" hidden aria-labelledby="notes-title"><h3 id="notes-title"></h3><ul></ul></section>
</section>`

/** The QR code of a tel: URI as one SVG path of its dark modules (uqr encodes). */
export function qrSvg(/** @type {string} */ text, /** @type {string} */ label) {
  const { data, size } = encode(text, { ecc: 'M', border: 2 })
  let d = ''
  data.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z` }))
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`)
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('shape-rendering', 'crispEdges')
  const bg = document.createElementNS(SVG, 'rect')
  bg.setAttribute('width', String(size)); bg.setAttribute('height', String(size)); bg.setAttribute('fill', '#fff')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d); path.setAttribute('fill', '#000')
  svg.append(bg, path)
  return svg
}
