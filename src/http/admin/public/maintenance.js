import { announce, api, el, failure, onSubmit } from './api.js'
import { isoFromJapan, japanTime, t } from './i18n.js'

// Announced maintenance (R12 ⑥): listed and entered in Japan time, sent as ISO 8601 UTC.

let refreshList = async () => {}

export function renderMaintenance(windows) {
  const body = document.querySelector('#maintenance-table tbody')
  if (windows.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 6 }, t('noMaintenance'))))
    return
  }
  body.replaceChildren(...windows.map((w) => el('tr', { 'data-id': w.id },
    el('td', {}, japanTime(w.startsAt)), el('td', {}, japanTime(w.endsAt)), el('td', {}, w.note),
    el('td', {}, w.createdBy ?? ''), el('td', {}, t(w.active ? 'yes' : 'no')),
    el('td', {}, el('button', { type: 'button', class: 'danger', on: { click: () => withdraw(w) } }, t('withdraw', { start: japanTime(w.startsAt) }))),
  )))
}

async function withdraw(w) {
  try {
    await api('DELETE', `/admin/maintenance/${encodeURIComponent(w.id)}`)
    await refreshList()
    announce(t('withdrawn'))
  } catch (error) {
    failure(error)
  }
}

export function setupMaintenance(refresh) {
  refreshList = refresh
  onSubmit(document.getElementById('maintenance-form'), async (data, event) => {
    const body = { startsAt: isoFromJapan(String(data.get('startsAt'))), endsAt: isoFromJapan(String(data.get('endsAt'))), note: String(data.get('note')).trim() }
    const created = await api('POST', '/admin/maintenance', body)
    event.target.reset()
    await refreshList()
    announce(t('announced', { start: japanTime(created.startsAt), end: japanTime(created.endsAt) }))
  })
}
