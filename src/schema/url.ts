/**
 * URL splitting with LuaSocket's rules (what Kong uses for the service `url` shorthand and `url` fields):
 * deliberately lenient — `localhost:8000` reads as scheme `localhost` and path `8000` — so that the
 * resulting messages (`host: required field missing`, `path: should start with: /`) match Kong's.
 */

export interface ParsedUrl {
  scheme?: string;
  authority?: string;
  host?: string;
  port?: string;
  userinfo?: string;
  path?: string;
  params?: string;
  query?: string;
  fragment?: string;
}

/** Splits a URL; returns null for the empty string, as LuaSocket does. */
export function parseUrl(url: string): ParsedUrl | null {
  if (url === '') return null;
  const parsed: ParsedUrl = {};
  let rest = url;
  const scheme = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest);
  if (scheme) {
    parsed.scheme = scheme[1];
    rest = rest.slice(scheme[0].length);
  }
  const authority = /^\/\/([^/?#]*)/.exec(rest);
  if (authority) {
    parsed.authority = authority[1];
    rest = rest.slice(authority[0].length);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    parsed.fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    parsed.query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const semicolon = rest.indexOf(';');
  if (semicolon >= 0) {
    parsed.params = rest.slice(semicolon + 1);
    rest = rest.slice(0, semicolon);
  }
  if (rest !== '') parsed.path = rest;
  if (parsed.authority === undefined) return parsed;
  let auth = parsed.authority;
  const at = /^([^@]*)@/.exec(auth);
  if (at) {
    parsed.userinfo = at[1];
    auth = auth.slice(at[0].length);
  }
  const port = /:([^:\]]*)$/.exec(auth);
  if (port) {
    parsed.port = port[1];
    auth = auth.slice(0, port.index);
  }
  if (auth !== '') {
    const bracketed = /^\[(.+)\]$/.exec(auth);
    parsed.host = bracketed ? bracketed[1] : auth;
  }
  return parsed;
}
