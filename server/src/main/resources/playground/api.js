// The public API of this easel server, as any client calls it: bearer key, JSON, the documented errors.

/** An answer of the API that is not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * Calls the API with the key; resolves to the JSON body, or rejects with an ApiError.
 * options: json (a body to send as JSON), form (a FormData), headers, signal.
 */
export async function call(key, method, path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (key) headers.set('Authorization', 'Bearer ' + key);
  let body;
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal: options.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the server cannot be reached');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === 'string' ? data.error : (text || response.statusText);
    throw new ApiError(response.status, message, response.headers.get('Retry-After'));
  }
  return data;
}

/**
 * The Server-Sent Events of GET path, read with fetch (EventSource cannot send the Authorization
 * header): calls onEvent(name, data) for each event until the stream ends or signal aborts.
 */
export async function follow(key, path, onEvent, signal) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: 'Bearer ' + key, Accept: 'text/event-stream' }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the server cannot be reached');
  }
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error;
    } catch (e) { /* not JSON: the status text */ }
    throw new ApiError(response.status, message, response.headers.get('Retry-After'));
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let name = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) continue; // a keep-alive comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = val;
        else if (field === 'data') data.push(val);
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

/** What an error means for a person, in one sentence, with what to do; null when the API's message says it all. */
export function explain(error) {
  const wait = error.retryAfter ? `${error.retryAfter} s` : 'a moment';
  switch (error.status) {
    case 0:
      return 'The server cannot be reached: check that easel is running at this address, then try again.';
    case 401:
      return 'The server refused your API key: press “Forget key” and paste a valid one.';
    case 402:
      return 'Your account has not enough credits for this request: ask the operator to add some, '
        + 'or make it cheaper by leaving out the moodboard and style references.';
    case 429:
      return `Your account already runs as many jobs as it may: wait ${wait} for one to finish, `
        + 'or cancel one in Recent jobs, then generate again.';
    case 503:
      return `The server is briefly unavailable: try again in ${wait}.`;
    default:
      return null;
  }
}
