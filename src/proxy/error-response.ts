/**
 * Gateway-generated error bodies, negotiated from the Accept header like Kong's `kong.response.error`:
 * JSON by default, or HTML, XML or plain text, each carrying the request id.
 */

export type ErrorFormat = 'json' | 'html' | 'xml' | 'text';

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

/** Media types Kong renders; any other type (wildcards `*` and `application/*` too) means JSON, as in Kong. */
const MEDIA_FORMATS: Record<string, ErrorFormat> = {
  'application/json': 'json',
  'text/html': 'html',
  'application/xml': 'xml',
  'text/plain': 'text',
  'text/*': 'text',
};

/** One Accept entry: a `type/subtype` (or `*`), then parameters, q among them (Kong's pattern). */
const ACCEPT_ENTRY = /^((?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)\/(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*))((?:\s*;\s*[^;]*)*)$/i;
const Q_PARAM = /;\s*q\s*=\s*(1(?:\.0{0,3})?|0(?:\.\d{0,3})?)\s*(?:;|$)/i;

/**
 * Picks the format of the entry with the highest q value; the first listed wins ties. As Kong's
 * `get_response_type`: an entry of a type it does not render (say `image/png`) counts as JSON rather than
 * being skipped, and malformed entries are skipped. No header: JSON.
 */
export function negotiateErrorFormat(accept: string | undefined): ErrorFormat {
  if (!accept) return 'json';
  let best: ErrorFormat = 'json';
  let bestQ = 0;
  for (const part of accept.split(',')) {
    const m = ACCEPT_ENTRY.exec(part.trim());
    if (m === null) continue;
    const q = m[2] === '' ? 1 : Number(Q_PARAM.exec(m[2])?.[1] ?? 1);
    if (q > bestQ) {
      bestQ = q;
      best = MEDIA_FORMATS[m[1].toLowerCase()] ?? 'json';
    }
  }
  return best;
}

/**
 * What an error nginx itself produces (the upstream failed or timed out, a refused request head) is
 * negotiated from, as Kong's error handler does: the Accept header, else the request's Content-Type, else
 * the `error_default_type` setting.
 */
export function errorPageAccept(accept: string | undefined, contentType: string | undefined, errorDefaultType: string): string {
  return accept ?? contentType ?? errorDefaultType;
}

function escapeMarkup(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The `error_template_*` settings, by format: file contents read once when the worker starts. */
export interface ErrorTemplates {
  json?: string;
  html?: string;
  xml?: string;
  plain?: string;
}

/**
 * Custom templates in force. Node settings, not configuration: set once by the worker before it serves,
 * never changed afterwards (so a module value, unlike the snapshot's parts).
 */
let customTemplates: Partial<Record<ErrorFormat, string>> = {};

/** Installs the node's `error_template_*` contents (see customTemplates). */
export function configureErrorTemplates(templates: ErrorTemplates): void {
  const set: Partial<Record<ErrorFormat, string>> = {};
  if (templates.json !== undefined) set.json = templates.json;
  if (templates.html !== undefined) set.html = templates.html;
  if (templates.xml !== undefined) set.xml = templates.xml;
  if (templates.plain !== undefined) set.text = templates.plain;
  customTemplates = set;
}

/**
 * Fills a custom template as Kong's `string.format(template, message, request_id)`: the first `%s` is the
 * message, the second the request id, `%%` a percent sign. Values are escaped for the format they land in
 * (markup for HTML and XML, a JSON string's content for JSON), which Kong leaves to chance.
 */
export function fillTemplate(template: string, format: ErrorFormat, message: string, requestId: string): string {
  const escape = format === 'html' || format === 'xml' ? escapeMarkup : format === 'json' ? (v: string) => JSON.stringify(v).slice(1, -1) : (v: string) => v;
  const values = [message, requestId];
  let next = 0;
  return template.replace(/%([s%])/g, (_, c: string) => (c === '%' ? '%' : escape(values[next++] ?? '')));
}

export interface ErrorBody {
  contentType: string;
  body: string;
}

/** Renders an error body; `requestId` is omitted when null (responses from plugins' `exit` carry none). */
export function renderError(accept: string | undefined, message: string, requestId: string | null): ErrorBody {
  const format = negotiateErrorFormat(accept);
  const custom = customTemplates[format];
  if (custom !== undefined) return { contentType: CONTENT_TYPES[format], body: fillTemplate(custom, format, message, requestId ?? '') };
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
