import { el } from './api.js'
import { t } from './i18n.js'

// At a glance: each number's calls and verified calls per hour over the last 24 hours as a
// small inline SVG bar chart, and the numbers that need an operator (silent, answered) with
// what to do about them.

const SVG = 'http://www.w3.org/2000/svg'
const WIDTH = 240
const HEIGHT = 48

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
  return node
}

const sum = (values) => values.reduce((a, b) => a + b, 0)

/** One number's 24 hours: a grey bar per hour for its calls, a green one inside it for those that verified. */
export function chart(series, label) {
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': label, class: 'chart' })
  const title = svg('title', {})
  title.textContent = label
  root.append(title, svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }))
  const top = Math.max(1, ...series.calls)
  const step = WIDTH / series.calls.length
  series.calls.forEach((calls, hour) => {
    const x = hour * step + 1
    const barWidth = step - 2
    const h = (calls / top) * (HEIGHT - 4)
    const v = (series.verified[hour] / top) * (HEIGHT - 4)
    if (calls > 0) root.append(svg('rect', { x, y: HEIGHT - 1 - h, width: barWidth, height: h, class: 'calls', 'data-hour': hour }))
    if (series.verified[hour] > 0) root.append(svg('rect', { x, y: HEIGHT - 1 - v, width: barWidth, height: v, class: 'verified', 'data-hour': hour }))
  })
  return root
}

function advice(n) {
  if (n.health === 'silent') return t('adviceSilent', { number: n.display, count: n.allocationsSinceCall })
  if (n.health === 'answered') return t('adviceAnswered', { number: n.display })
  return undefined
}

export function renderGlance(numbers, hourly) {
  const needing = numbers.filter((n) => n.state !== 'retired' && n.health !== 'ok')
  document.getElementById('advice').replaceChildren(needing.length === 0
    ? el('p', { class: 'note ok' }, t('allHealthy'))
    : el('ul', { class: 'advice' }, needing.map((n) => el('li', { class: `health-${n.health}` }, el('strong', {}, `${t(`health_${n.health}`)}: `), advice(n)))))

  const byNumber = new Map(hourly.numbers.map((s) => [s.e164, s]))
  document.getElementById('charts').replaceChildren(...numbers.filter((n) => n.state !== 'retired').map((n) => {
    const series = byNumber.get(n.e164) ?? { calls: [], verified: [] }
    const totals = { calls: sum(series.calls), verified: sum(series.verified) }
    return el('li', { class: `card health-${n.health}`, 'data-e164': n.e164 },
      el('h3', {}, n.display, ' ', el('span', { class: `badge health-${n.health}` }, t(`health_${n.health}`))),
      chart(series, t('chartLabel', { number: n.display, ...totals })),
      el('p', { class: 'hours', 'aria-hidden': 'true' }, el('span', {}, t('hoursAgo')), el('span', {}, t('thisHour'))),
      el('p', { class: 'totals' }, t('calls24', totals)))
  }))
}
