/**
 * ip-restriction on stream routes, as Kong runs it in its preread phase: the most specific enabled instance
 * for the route (route and service, then route, then service, then global) refuses a client its `deny` list
 * names or its `allow` list does not, for the protocols the instance is configured for. Compiled once per
 * configuration.
 */
import { compileIpMatcher, type IpMatcher } from '../core/cidr.ts';
import type { PluginFields } from '../snapshot/types.ts';

/** Who may connect through one stream route. */
export interface StreamAccess {
  /** The connection protocols the rule applies to (the plugin's `protocols`). */
  readonly protocols: ReadonlySet<string>;
  allows(ip: string): boolean;
}

function compileAccess(plugin: PluginFields): StreamAccess {
  const config = plugin.config as { allow?: readonly string[] | null; deny?: readonly string[] | null };
  const deny: IpMatcher | null = config.deny != null && config.deny.length > 0 ? compileIpMatcher(config.deny) : null;
  const allow: IpMatcher | null = config.allow != null && config.allow.length > 0 ? compileIpMatcher(config.allow) : null;
  return {
    protocols: new Set(plugin.protocols),
    allows: (ip) => !(deny !== null && deny(ip)) && (allow === null || allow(ip)),
  };
}

/** The ip-restriction instances of a configuration, by scope. */
export class StreamAccessRules {
  readonly #byScope = new Map<string, PluginFields>();
  readonly #compiled = new Map<PluginFields, StreamAccess>();

  constructor(plugins: readonly PluginFields[]) {
    for (const p of plugins) {
      if (p.name !== 'ip-restriction' || !p.enabled || p.consumer != null || p.consumer_group != null) continue;
      this.#byScope.set(`${p.route?.id ?? ''}|${p.service?.id ?? ''}`, p);
    }
  }

  /** The rule of a stream route, or null when no instance applies. */
  for(routeId: string, serviceId: string | null): StreamAccess | null {
    if (this.#byScope.size === 0) return null;
    const service = serviceId ?? '';
    const plugin =
      (serviceId === null ? undefined : this.#byScope.get(`${routeId}|${service}`)) ??
      this.#byScope.get(`${routeId}|`) ??
      (serviceId === null ? undefined : this.#byScope.get(`|${service}`)) ??
      this.#byScope.get('|');
    if (plugin === undefined) return null;
    let access = this.#compiled.get(plugin);
    if (access === undefined) this.#compiled.set(plugin, (access = compileAccess(plugin)));
    return access;
  }
}
