import type { IncomingHttpHeaders } from 'node:http';

/** Cookies a browser keeps, fed by the Set-Cookie headers of the answers it gets. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(answer: { headers: IncomingHttpHeaders }): void {
    const given = answer.headers['set-cookie'];
    for (const c of given === undefined ? [] : Array.isArray(given) ? given : [given]) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
