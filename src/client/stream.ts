// The status stream (GET /v1/verifications/:id/events) read with fetch: Node has no
// EventSource. Each `event: status` carries the whole GET body; the first is the state at
// connect, so a waiter that connects after a change still sees it (a long-poll would not:
// it waits for a change from the state at its own start).

/** The `data` of every `event: status` in a text/event-stream body, parsed, in order. */
export async function* statusEvents<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      }
      if (event === 'status' && data.length > 0) yield JSON.parse(data.join('\n')) as T
    }
  }
}
