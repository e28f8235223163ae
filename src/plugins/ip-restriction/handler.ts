/**
 * ip-restriction: refuses clients by address, as Kong's plugin does. `deny` is checked first, then `allow`;
 * the address is the client's after `trusted_ips` and `real_ip_header` (`kong.client.getForwardedIp()`, what
 * nginx's realip module gives Kong). Both lists are compiled once per configuration.
 */
import { compileIpMatcher, type IpMatcher } from '../../core/cidr.ts';
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { IpRestrictionConfig } from './schema.ts';

export const ERR_UNIX_SOCKET = 'Cannot identify the client IP address, unix domain sockets are not supported.';

/** The configuration as the access phase reads it. */
export interface IpRestrictionConf {
  /** null: no list (an empty list checks nothing either, as in Kong). */
  readonly deny: IpMatcher | null;
  readonly allow: IpMatcher | null;
  readonly status: number;
  /** The configured message, or null: Kong's default naming the client's address. */
  readonly message: string | null;
}

function matcherOf(list: readonly string[] | null | undefined): IpMatcher | null {
  return list === null || list === undefined || list.length === 0 ? null : compileIpMatcher(list);
}

function prepare(config: IpRestrictionConfig): IpRestrictionConf {
  return {
    deny: matcherOf(config.deny),
    allow: matcherOf(config.allow),
    status: config.status ?? 403,
    message: config.message ?? null,
  };
}

function refuse(kong: Kong, conf: IpRestrictionConf, ip: string): void {
  const message = conf.message ?? `IP address not allowed: ${ip}`;
  kong.log.warn(message);
  kong.response.error(conf.status, message);
}

function access(kong: Kong, conf: IpRestrictionConf): void {
  const ip = kong.client.getForwardedIp();
  if (ip === '' || ip.startsWith('unix:')) {
    kong.log.warn(ERR_UNIX_SOCKET);
    return kong.response.error(403, ERR_UNIX_SOCKET);
  }
  if (conf.deny !== null && conf.deny(ip)) return refuse(kong, conf, ip);
  if (conf.allow !== null && !conf.allow(ip)) return refuse(kong, conf, ip);
}

export const ipRestrictionHandler: PluginHandler<IpRestrictionConf, IpRestrictionConfig> = {
  name: 'ip-restriction',
  priority: 990,
  version: '3.10.0',
  prepare,
  access,
};
