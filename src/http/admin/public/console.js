import { announce, api, failure, onSubmit, useSession } from './api.js'
import { refreshAudit, setupAudit } from './audit.js'
import { renderGlance } from './glance.js'
import { forgetLock, setTenants, setupHelp, showLock } from './help.js'
import { language, setLanguage, t } from './i18n.js'
import { renderMaintenance, setupMaintenance } from './maintenance.js'
import { renderPool, setupPool } from './pool.js'

// The operations console: sign in once with an admin token (POST /admin/session sets the
// HttpOnly cookie; the page keeps only the CSRF token, in memory), then every /admin task.

const $ = (id) => document.getElementById(id)

// Each refresh after a change also reloads the audit log, which the change wrote to.
async function refreshPool() {
  const [{ numbers }, hourly] = await Promise.all([api('GET', '/admin/numbers'), api('GET', '/admin/numbers/hourly'), refreshAudit()])
  renderPool(numbers)
  renderGlance(numbers, hourly)
}

async function refreshMaintenance() {
  const [{ maintenance }] = await Promise.all([api('GET', '/admin/maintenance'), refreshAudit()])
  renderMaintenance(maintenance)
}

async function refreshAll() {
  await Promise.all([refreshPool(), refreshMaintenance()])
}

function showSignedOut(message) {
  useSession('')
  forgetLock()
  $('console').hidden = true
  $('sign-out').hidden = true
  $('admin-name').hidden = true
  $('admin-name').textContent = ''
  $('signin').hidden = false
  if (message) announce(message, { focus: $('token') })
}

async function showSignedIn(session) {
  useSession(session.csrfToken, () => showSignedOut(t('sessionEnded')))
  $('admin-name').textContent = t('signedInAs', { admin: session.admin })
  $('admin-name').dataset.admin = session.admin
  $('admin-name').hidden = false
  $('sign-out').hidden = false
  $('signin').hidden = true
  $('console').hidden = false
  setTenants(session.tenants)
  await refreshAll()
}

let session

onSubmit($('signin-form'), async (data, event) => {
  const token = String(data.get('token'))
  event.target.reset() // the token leaves the page at once; the cookie is HttpOnly
  session = await api('POST', '/admin/session', { token })
  await showSignedIn(session)
  announce(t('signedInAs', { admin: session.admin }), { focus: $('pool-title') })
})

$('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/admin/session')
    session = undefined
    showSignedOut(t('signedOut'))
  } catch (error) {
    failure(error)
  }
})

$('lang').addEventListener('click', async () => {
  setLanguage(language() === 'ja' ? 'en' : 'ja')
  if (session) {
    $('admin-name').textContent = t('signedInAs', { admin: session.admin })
    showLock()
    await refreshAll().catch(() => {})
  }
})

setupPool(refreshPool)
setupMaintenance(refreshMaintenance)
setupHelp(refreshAudit)
setupAudit()
setLanguage(language())

// A reload on a live session goes straight to the console.
try {
  session = await api('GET', '/admin/session')
  await showSignedIn(session)
} catch {
  showSignedOut()
}
document.body.dataset.ready = 'true'
