import { announce, api, el, onSubmit } from './api.js'
import { japanTime, t } from './i18n.js'

// Help a customer on the phone (R11): is their number locked today, until when, how many
// failures. The number typed is a customer's: the field is emptied as soon as it is read and
// the page shows only the API's mask (R1); the full number lives in this module until the
// lock is lifted or another is looked up, never in the page.

let current // { phoneNumber, tenant } of the lock on show
let shown // the API's answer on show (masked), for a change of language

export function showLock(lock = shown) {
  if (!lock) return
  shown = lock
  const result = document.getElementById('lock-result')
  result.replaceChildren(
    el('h3', {}, t('lockOf', { number: lock.phoneNumber.masked, tenant: lock.tenant })),
    el('p', { class: lock.locked ? 'locked' : 'note ok' }, lock.locked ? t('lockedYes', { until: japanTime(lock.lockedUntil) }) : t('lockedNo')),
    el('p', {}, t('failures', { count: lock.failures })),
  )
  result.hidden = false
  document.getElementById('lift-form').hidden = !(lock.locked || lock.failures > 0)
}

/** Sign-out: the number and its lock leave the page and this module. */
export function forgetLock() {
  current = shown = undefined
  document.getElementById('lock-result').replaceChildren()
  document.getElementById('lock-result').hidden = true
  document.getElementById('lift-form').hidden = true
}

const lockPath = ({ phoneNumber, tenant }) => `/admin/locks/${encodeURIComponent(phoneNumber)}?tenant=${encodeURIComponent(tenant)}`

export function setTenants(tenants) {
  document.getElementById('lock-tenant').replaceChildren(...tenants.map((tenant) => el('option', { value: tenant }, tenant)))
}

export function setupHelp(refreshAudit) {
  onSubmit(document.getElementById('lock-form'), async (data) => {
    const field = document.getElementById('lock-phone')
    const lookup = { phoneNumber: String(data.get('phoneNumber')).replace(/[\s-]/g, ''), tenant: String(data.get('tenant')) }
    field.value = '' // R1: the full number leaves the page at once, whatever the answer
    forgetLock()
    const lock = await api('GET', lockPath(lookup))
    current = lookup
    showLock(lock)
    announce(t(lock.locked ? 'lockedYes' : 'lockedNo', { until: japanTime(lock.lockedUntil) }), { focus: document.getElementById('lock-result') })
  })

  onSubmit(document.getElementById('lift-form'), async (data, event) => {
    if (!current) return
    const lifted = await api('DELETE', lockPath(current), { reason: String(data.get('reason')).trim() })
    current = undefined
    event.target.reset()
    showLock(lifted)
    await refreshAudit()
    announce(t(lifted.lifted ? 'lifted' : 'liftedNone', { number: lifted.phoneNumber.masked }), { focus: document.getElementById('lock-result') })
  })
}
