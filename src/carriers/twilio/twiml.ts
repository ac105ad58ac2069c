import twilio from 'twilio'

// The one answer the service ever gives a call (docs/contract.md "Rules that hold everywhere"; R6):
// <Reject> ends the call before it is answered, so nobody is billed and nothing plays.
// reason="busy" makes the caller hear a busy tone rather than "this number is not in
// service" (Twilio docs, TwiML <Reject>: reason "rejected" is the default, "busy" the other).
function buildRejectBusy(): string {
  const response = new twilio.twiml.VoiceResponse()
  response.reject({ reason: 'busy' })
  return response.toString()
}

/** `<?xml …?><Response><Reject reason="busy"/></Response>`, built once at load. */
export const REJECT_BUSY_TWIML: string = buildRejectBusy()

/** TwiML is XML; Twilio reads text/xml (Twilio docs, "TwiML: the Twilio Markup Language"). */
export const TWIML_CONTENT_TYPE = 'text/xml'
