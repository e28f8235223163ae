/**
 * Route `hosts` compiled for matching. Plain hosts compare as strings; a wildcard is either leading
 * (`*.example.com`) or trailing (`example.*`), optionally with a port, and is tested with string
 * operations instead of a regex.
 */
import type { RequestView } from './request-view.ts';

export interface WildcardHost {
  /** The configured value, e.g. `*.example.com:8000`. */
  value: string;
  leading: boolean;
  /** The text beside the `*`: `.example.com` for a leading wildcard, `example.` for a trailing one. */
  fixed: string;
  /** The port as written, or null when the wildcard has none. */
  portText: string | null;
  port: number;
}

export interface HostCondition {
  /** Traditional: the values as configured. Compatible: the host part (port split off into `plainPorts`). */
  plain: string[];
  /** Compatible only: the port of each plain host, or -1 for any port. */
  plainPorts: number[];
  wildcards: WildcardHost[];
}

/** Splits `name:port` at the first colon when digits follow (Kong's compatible-router rule, also used for wildcards). */
export function splitHostPort(value: string): { host: string; port: number; portText: string | null } {
  const colon = value.indexOf(':');
  if (colon >= 0 && colon < value.length - 1 && /^\d+$/.test(value.slice(colon + 1))) {
    const portText = value.slice(colon + 1);
    return { host: value.slice(0, colon), port: Number(portText), portText };
  }
  return { host: value, port: -1, portText: null };
}

/** Compiles a wildcard host value (one containing `*`) into its matching parts. */
export function compileWildcardHost(value: string): WildcardHost {
  const { host, port, portText } = splitHostPort(value);
  const leading = host.startsWith('*');
  const fixed = leading ? host.slice(1) : host.endsWith('*') ? host.slice(0, -1) : host.replace('*', '');
  return { value, leading, fixed, portText, port };
}

/** Builds the host condition of a route for one flavor. */
export function compileHostCondition(hosts: string[], compatible: boolean): HostCondition {
  const plain: string[] = [];
  const plainPorts: number[] = [];
  const wildcards: WildcardHost[] = [];
  for (const value of hosts) {
    if (value.includes('*')) {
      wildcards.push(compileWildcardHost(value));
    } else if (compatible) {
      const split = splitHostPort(value);
      plain.push(split.host);
      plainPorts.push(split.port);
    } else {
      plain.push(value);
      plainPorts.push(-1);
    }
  }
  return { plain, plainPorts, wildcards };
}

/**
 * Traditional wildcard semantics: the pattern is anchored on "host-with-port" (the Host header, with the
 * scheme's default port added when it has none); `*` stands for one or more characters; a wildcard
 * without port accepts any port.
 */
export function wildcardMatchesTraditional(wildcard: WildcardHost, view: RequestView): boolean {
  const host = view.host;
  const end = view.hostPartEnd;
  const fixed = wildcard.fixed;
  if (wildcard.leading) {
    if (end <= fixed.length || !host.endsWith(fixed, end)) return false;
  } else {
    // The `*` may swallow the `:port` suffix, so `example.*` matches `Host: example.`
    if (end < fixed.length || !host.startsWith(fixed)) return false;
    if (end === fixed.length && wildcard.portText !== null) return false;
  }
  return wildcard.portText === null || view.portEquals(wildcard.portText);
}

/** Compatible wildcard semantics: a suffix (`*.x`) or prefix (`x.*`) test on the host, and the destination port. */
export function wildcardMatchesCompatible(wildcard: WildcardHost, view: RequestView): boolean {
  const host = view.compatHost;
  const matched = wildcard.leading ? host.endsWith(wildcard.fixed) : host.startsWith(wildcard.fixed);
  return matched && (wildcard.port < 0 || wildcard.port === view.compatPort);
}

/** Whether the request's Host satisfies the condition (traditional flavor). */
export function hostMatchesTraditional(condition: HostCondition, view: RequestView): boolean {
  if (!view.hasHost) return false;
  const plain = condition.plain;
  for (let index = 0; index < plain.length; index++) {
    const value = plain[index];
    if (value === view.host || value === view.hostNoPort) return true;
  }
  const wildcards = condition.wildcards;
  for (let index = 0; index < wildcards.length; index++) {
    if (wildcardMatchesTraditional(wildcards[index], view)) return true;
  }
  return false;
}

/** Whether the request's Host satisfies the condition (traditional_compatible flavor). */
export function hostMatchesCompatible(condition: HostCondition, view: RequestView): boolean {
  if (!view.hasHost) return false;
  const plain = condition.plain;
  for (let index = 0; index < plain.length; index++) {
    if (plain[index] === view.compatHost) {
      const port = condition.plainPorts[index];
      if (port < 0 || port === view.compatPort) return true;
    }
  }
  const wildcards = condition.wildcards;
  for (let index = 0; index < wildcards.length; index++) {
    if (wildcardMatchesCompatible(wildcards[index], view)) return true;
  }
  return false;
}
