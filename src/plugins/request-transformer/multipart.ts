/**
 * multipart/form-data bodies for request-transformer: parts kept as they came (file parts with their
 * headers), found by field name, removed, or replaced and added as simple text fields — what Kong's
 * `multipart` library offers the plugin. Bytes are handled as latin1 text, so binary parts pass unchanged.
 */

interface Part {
  name: string | null;
  /** The part as received (headers, blank line, content), without the boundary lines. */
  raw: string;
}

function boundaryOf(contentType: string): string | null {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m === null ? null : (m[1] ?? m[2]);
}

function nameOf(raw: string): string | null {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? raw : raw.slice(0, headEnd);
  const m = /^content-disposition:[^\r\n]*?\bname="([^"]*)"/im.exec(head);
  return m === null ? null : m[1];
}

function valueOf(raw: string): string {
  const headEnd = raw.indexOf('\r\n\r\n');
  return headEnd === -1 ? '' : raw.slice(headEnd + 4);
}

/** A latin1 rendering of UTF-8 text, so it joins the latin1 body byte for byte. */
function bytesOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function textOf(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export class MultipartBody {
  readonly #boundary: string;
  readonly #parts: Part[];

  private constructor(boundary: string, parts: Part[]) {
    this.#boundary = boundary;
    this.#parts = parts;
  }

  /** Parses a body; null when the Content-Type has no boundary. An empty body has no parts. */
  static parse(body: Buffer, contentType: string): MultipartBody | null {
    const boundary = boundaryOf(contentType);
    if (boundary === null) return null;
    const parts: Part[] = [];
    const text = body.toString('latin1');
    const delimiter = `--${boundary}`;
    let at = text.indexOf(delimiter);
    while (at !== -1) {
      let start = at + delimiter.length;
      if (text.startsWith('--', start)) break;
      if (text.startsWith('\r\n', start)) start += 2;
      const next = text.indexOf(`\r\n${delimiter}`, start);
      if (next === -1) break;
      const raw = text.slice(start, next);
      parts.push({ name: nameOf(raw), raw });
      at = next + 2;
    }
    return new MultipartBody(boundary, parts);
  }

  /** The value of the first part of that name, as text, or undefined. */
  get(name: string): string | undefined {
    const part = this.#parts.find((p) => p.name === name);
    return part === undefined ? undefined : textOf(valueOf(part.raw));
  }

  has(name: string): boolean {
    return this.#parts.some((p) => p.name === name);
  }

  delete(name: string): void {
    for (let i = this.#parts.length - 1; i >= 0; i--) if (this.#parts[i].name === name) this.#parts.splice(i, 1);
  }

  /** Sets a text field: replaces the first part of that name (dropping others), or adds one at the end. */
  setSimple(name: string, value: string): void {
    const raw = `Content-Disposition: form-data; name="${bytesOf(name.replace(/["\r\n]/g, '_'))}"\r\n\r\n${bytesOf(value)}`;
    const first = this.#parts.findIndex((p) => p.name === name);
    if (first === -1) {
      this.#parts.push({ name, raw });
      return;
    }
    this.#parts[first] = { name, raw };
    for (let i = this.#parts.length - 1; i > first; i--) if (this.#parts[i].name === name) this.#parts.splice(i, 1);
  }

  toBuffer(): Buffer {
    let out = '';
    for (const part of this.#parts) out += `--${this.#boundary}\r\n${part.raw}\r\n`;
    out += `--${this.#boundary}--\r\n`;
    return Buffer.from(out, 'latin1');
  }
}
