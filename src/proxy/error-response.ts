/**
 * Gateway-generated error bodies, negotiated from the Accept header like Kong's `kong.response.error`:
 * JSON by default, or HTML, XML or plain text, each carrying the request id.
 */

type ErrorFormat = 'json' | 'html' | 'xml' | 'text';

const CONTENT_TYPES: Record<ErrorFormat, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};

/** Kong's default message per status, used when the caller gives none. */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  417: 'Expectation failed',
  429: 'API rate limit exceeded',
  494: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
};

export function defaultMessage(status: number): string {
  return DEFAULT_MESSAGES[status] ?? `The upstream server responded with ${status}`;
}

const MEDIA_FORMATS: Record<string, ErrorFormat> = {
  'application/json': 'json',
  'application/*': 'json',
  '*/*': 'json',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/plain': 'text',
  'text/*': 'text',
};

/** Picks the format with the highest q value; the first listed wins ties; unknown types are skipped. */
export function negotiateErrorFormat(accept: string | undefined): ErrorFormat {
  if (!accept) return 'json';
  let best: ErrorFormat = 'json';
  let bestQ = 0;
  for (const part of accept.split(',')) {
    const semi = part.indexOf(';');
    const media = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    const format = MEDIA_FORMATS[media];
    if (format === undefined) continue;
    let q = 1;
    if (semi !== -1) {
      const m = /(?:^|;)\s*q\s*=\s*([01](?:\.\d{0,3})?)/.exec(part.slice(semi));
      if (m) q = Number(m[1]);
    }
    if (q > bestQ) {
      bestQ = q;
      best = format;
    }
  }
  return best;
}

function escapeMarkup(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ErrorBody {
  contentType: string;
  body: string;
}

/** The text of a node's custom error templates (`error_template_html`...; `plain` is the text one), by format. */
export interface ErrorTemplates {
  html?: string;
  json?: string;
  xml?: string;
  plain?: string;
}

/**
 * Custom templates, set once when a worker starts (like the router flavour): a node-wide constant that every
 * error response of the process uses, not configuration that changes with snapshots.
 */
let templates: Readonly<Record<ErrorFormat, string | undefined>> = { json: undefined, html: undefined, xml: undefined, text: undefined };

/** Installs the node's error templates (`error_template_*` file contents). */
export function useErrorTemplates(given: ErrorTemplates): void {
  templates = { json: given.json, html: given.html, xml: given.xml, text: given.plain };
}

/**
 * Fills a template as Kong does with `string.format(template, message, request_id)`: the first `%s` takes the
 * message, the second the request id ('' when there is none), `%%` is a percent sign. The message is escaped
 * for the format (Kong inserts it raw), so that a message cannot break the markup or the JSON around it.
 */
function fillTemplate(template: string, format: ErrorFormat, message: string, requestId: string | null): string {
  const escape = format === 'html' || format === 'xml' ? escapeMarkup : format === 'json' ? (s: string) => JSON.stringify(s).slice(1, -1) : (s: string) => s;
  const values = [escape(message), escape(requestId ?? '')];
  let next = 0;
  return template.replace(/%([%s])/g, (_, c: string) => (c === '%' ? '%' : (values[next++] ?? '')));
}

/** Renders an error body; `requestId` is omitted when null (responses from plugins' `exit` carry none). */
export function renderError(accept: string | undefined, message: string, requestId: string | null): ErrorBody {
  const format = negotiateErrorFormat(accept);
  const template = templates[format];
  if (template !== undefined) return { contentType: CONTENT_TYPES[format], body: fillTemplate(template, format, message, requestId) };
  let body: string;
  switch (format) {
    case 'json':
      body = requestId === null ? JSON.stringify({ message }) : JSON.stringify({ message, request_id: requestId });
      break;
    case 'html':
      body =
        '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n' +
        `    <h1>Error</h1>\n    <p>${escapeMarkup(message)}.</p>\n` +
        (requestId === null ? '' : `    <p>request_id: ${escapeMarkup(requestId)}</p>\n`) +
        '  </body>\n</html>\n';
      break;
    case 'xml':
      body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n' +
        `  <message>${escapeMarkup(message)}</message>\n` +
        (requestId === null ? '' : `  <requestid>${escapeMarkup(requestId)}</requestid>\n`) +
        '</error>\n';
      break;
    case 'text':
      body = requestId === null ? `${message}\n` : `${message}\nrequest_id: ${requestId}\n`;
      break;
  }
  return { contentType: CONTENT_TYPES[format], body };
}
