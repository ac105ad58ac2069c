import { announce, api, el, failure, numberPath, onSubmit } from './api.js'
import { japanTime, t } from './i18n.js'

// The pool table and its actions: add, weight and label, drain, quarantine, reactivate,
// retire (FORCE_REQUIRED answered by a second, explicit step), and sync (dry run, then apply).

const dialog = document.getElementById('edit-dialog')
const force = document.getElementById('force')
let editing // the pool number the dialog changes
let pendingPatch // the change FORCE_REQUIRED held back
let refreshAll = async () => {}

export function renderPool(numbers) {
  const body = document.querySelector('#pool-table tbody')
  body.replaceChildren(...numbers.map((n) => el('tr', { 'data-e164': n.e164, class: `state-${n.state} health-${n.health}` },
    el('th', { scope: 'row' }, n.display, el('span', { class: 'e164' }, n.e164)),
    el('td', {}, n.carrier ?? 'twilio'),
    el('td', {}, el('span', { class: `badge state-${n.state}` }, t(`state_${n.state}`))),
    el('td', { class: 'num' }, String(n.weight)),
    el('td', {}, n.label ?? ''),
    el('td', {}, el('span', { class: `badge health-${n.health}` }, t(`health_${n.health}`))),
    el('td', { class: 'num' }, String(n.pending)),
    el('td', { class: 'num' }, String(n.callsToday)),
    el('td', {}, japanTime(n.lastCallAt)),
    el('td', { class: 'num' }, String(n.allocationsSinceCall)),
    el('td', {}, el('button', { type: 'button', on: { click: () => openEditor(n) } }, t('edit', { number: n.display }))),
  )))
}

function openEditor(n) {
  editing = n
  pendingPatch = undefined
  force.hidden = true
  document.getElementById('edit-title').textContent = t('editTitle', { number: n.display })
  document.getElementById('edit-weight').value = String(n.weight)
  document.getElementById('edit-label').value = n.label ?? ''
  for (const button of document.querySelectorAll('#edit-states button')) button.disabled = button.dataset.state === n.state
  dialog.showModal()
  document.getElementById('edit-title').focus()
}

/** One PATCH; a FORCE_REQUIRED refusal shows the second step instead of failing. */
async function change(patch, { forced = false } = {}) {
  const path = `${numberPath(editing.e164)}${forced ? '?force=true' : ''}`
  try {
    const after = await api('PATCH', path, patch)
    dialog.close()
    await refreshAll()
    const message = patch.state ? t('changed', { number: after.display, state: t(`state_${after.state}`) }) : t('saved', { number: after.display })
    // Focus returns to the row's own button, which opened the dialog.
    announce(message, { focus: document.querySelector(`#pool-table tr[data-e164="${after.e164}"] button`) ?? undefined })
  } catch (error) {
    if (error.code === 'FORCE_REQUIRED' && !forced) {
      pendingPatch = patch
      document.getElementById('force-message').textContent = error.message
      force.hidden = false
      document.getElementById('force-title').focus()
      return
    }
    dialog.close()
    failure(error)
  }
}

function showReport(report, applied) {
  const list = (key, items) => el('div', {},
    el('h4', {}, t(key)),
    items.length === 0 ? el('p', {}, t('none')) : el('ul', {}, items.map((item) => el('li', {}, item))))
  const updated = report.updated.map((u) => `${u.e164}: ${u.changes.map((c) => `${c.field} ${c.from || '∅'} → ${c.to}`).join(', ')}`)
  const target = document.getElementById('sync-report')
  target.replaceChildren(
    el('p', { class: 'note' }, t(applied ? 'syncApplied' : 'syncDryDone')),
    list('syncUpdated', updated), list('syncUnchanged', report.unchanged), list('syncMissing', report.missingInAccount),
    list('syncNotInPool', report.notInPool), list('syncOnTrunk', report.onTrunk),
  )
  document.getElementById('sync-apply').hidden = applied
}

export function setupPool(refresh) {
  refreshAll = refresh
  onSubmit(document.getElementById('edit-form'), async (data) => {
    await change({ weight: Number(data.get('weight')), label: String(data.get('label')).trim() })
  })
  for (const button of document.querySelectorAll('#edit-states button')) {
    button.addEventListener('click', () => change({ state: button.dataset.state }))
  }
  document.getElementById('force-confirm').addEventListener('click', () => change(pendingPatch, { forced: true }))
  document.getElementById('edit-close').addEventListener('click', () => dialog.close())

  onSubmit(document.getElementById('add-form'), async (data, event) => {
    const carrier = String(data.get('carrier'))
    const label = String(data.get('label')).trim()
    const body = { e164: String(data.get('e164')).trim(), weight: Number(data.get('weight')), ...(label ? { label } : {}), ...(carrier !== 'twilio' ? { carrier } : {}) }
    const added = await api('POST', '/admin/numbers', body)
    event.target.reset()
    await refreshAll()
    announce(t('added', { number: added.display }))
  })

  const dry = document.getElementById('sync-dry')
  const apply = document.getElementById('sync-apply')
  dry.addEventListener('click', async () => {
    try {
      showReport(await api('POST', '/admin/numbers/sync?dryRun=true'), false)
      announce(t('syncDryDone'), { focus: document.getElementById('sync-report') })
    } catch (error) {
      failure(error)
    }
  })
  apply.addEventListener('click', async () => {
    apply.disabled = true
    try {
      showReport(await api('POST', '/admin/numbers/sync'), true)
      await refreshAll()
      announce(t('syncApplied'), { focus: document.getElementById('sync-report') })
    } catch (error) {
      failure(error)
    } finally {
      apply.disabled = false
    }
  })
}
