import { api, el, failure, onSubmit } from './api.js'
import { japanTime, t } from './i18n.js'

// The audit log, newest first, filtered by operator and by number, a page at a time
// (GET /admin/audit?actor=&number=&limit=&offset=).

const PAGE = 20
const query = { actor: '', number: '', offset: 0 }

const compact = (value) => (value === undefined ? '' : JSON.stringify(value))

function render(page) {
  const body = document.querySelector('#audit-table tbody')
  body.replaceChildren(...(page.entries.length === 0
    ? [el('tr', {}, el('td', { colspan: 6 }, t('noEntries')))]
    : page.entries.map((e) => el('tr', {},
      el('td', {}, japanTime(e.at)), el('td', {}, e.actor), el('td', {}, e.action), el('td', {}, e.target ?? ''),
      el('td', {}, e.reason ?? ''),
      el('td', {}, el('code', {}, compact(e.before)), e.before !== undefined || e.after !== undefined ? ' → ' : '', el('code', {}, compact(e.after)))))))
  const shown = page.entries.length
  document.getElementById('audit-page').textContent = t('pageOf', { from: shown ? query.offset + 1 : 0, to: query.offset + shown, total: page.total })
  document.getElementById('audit-newer').disabled = query.offset === 0
  document.getElementById('audit-older').disabled = page.nextOffset === undefined
}

export async function refreshAudit() {
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(query.offset) })
  if (query.actor) params.set('actor', query.actor)
  if (query.number) params.set('number', query.number)
  render(await api('GET', `/admin/audit?${params}`))
}

async function go(offset, focus) {
  query.offset = Math.max(0, offset)
  try {
    await refreshAudit()
    focus().focus()
  } catch (error) {
    failure(error)
  }
}

export function setupAudit() {
  onSubmit(document.getElementById('audit-form'), async (data) => {
    query.actor = String(data.get('actor')).trim()
    query.number = String(data.get('number')).trim()
    query.offset = 0
    await refreshAudit()
    document.getElementById('audit-page').focus()
  })
  const newer = document.getElementById('audit-newer')
  const older = document.getElementById('audit-older')
  // Focus stays on the pager (the button pressed may become disabled at either end).
  newer.addEventListener('click', () => go(query.offset - PAGE, () => (newer.disabled ? older : newer)))
  older.addEventListener('click', () => go(query.offset + PAGE, () => (older.disabled ? newer : older)))
}
