/**
 * acl: allows or denies the authenticated consumer by its groups (`acls`), as Kong's plugin does. Runs after
 * the authentication plugins (priority 950). Groups come from the consumer's `acls`, or from
 * `kong.ctx.shared.authenticated_groups` (set by an authentication plugin that maps groups, such as
 * ldap-auth) when there is no consumer, the consumer is anonymous, or `always_use_authenticated_groups` is
 * set. Kong's answers: 401 when nobody is authenticated, 403 `You cannot consume this service` otherwise; the
 * groups go upstream in `X-Consumer-Groups` (or `X-Authenticated-Groups`) unless `hide_groups_header`.
 */
import type { Kong, PluginConfigData, PluginHandler } from '../../pdk/index.ts';
import type { AclConfig } from './schema.ts';

export const ERR_FORBIDDEN = 'You cannot consume this service';

/** A consumer's groups: in stored order (for the header) and as a set (for the checks). */
export interface GroupList {
  readonly names: readonly string[];
  readonly set: ReadonlySet<string>;
}

const NO_GROUPS: GroupList = Object.freeze({ names: Object.freeze([]) as readonly string[], set: new Set<string>() });

/** The configuration as the phases read it, computed once per snapshot. */
export interface AclConf {
  readonly deny: boolean;
  /** The groups of `allow` or `deny`. */
  readonly groups: readonly string[];
  readonly hideGroupsHeader: boolean;
  readonly alwaysUseAuthenticatedGroups: boolean;
  /** Every consumer's groups, by consumer id (consumers without groups are absent). */
  readonly consumerGroups: ReadonlyMap<string, GroupList>;
  /**
   * The decision per group list (a consumer's, shared by the snapshot): `true` to block, else the header value.
   * Filled on first use, so it holds at most one entry per consumer of the snapshot.
   */
  readonly decisions: Map<GroupList, true | string>;
}

/** One index per snapshot, whichever acl plugin entity asks first. */
const indexes = new WeakMap<PluginConfigData, ReadonlyMap<string, GroupList>>();

function groupsByConsumer(data: PluginConfigData): ReadonlyMap<string, GroupList> {
  let index = indexes.get(data);
  if (index === undefined) {
    const names = new Map<string, string[]>();
    for (const acl of data.entities('acls')) {
      const owner = acl.consumer as { id?: unknown } | null | undefined;
      if (typeof owner?.id !== 'string' || typeof acl.group !== 'string') continue;
      let list = names.get(owner.id);
      if (list === undefined) names.set(owner.id, (list = []));
      list.push(acl.group);
    }
    const built = new Map<string, GroupList>();
    for (const [id, list] of names) built.set(id, Object.freeze({ names: Object.freeze(list), set: new Set(list) }));
    index = built;
    indexes.set(data, index);
  }
  return index;
}

function prepare(config: AclConfig, data: PluginConfigData): AclConf {
  // Kong: a non-empty `deny` makes it a deny list; the schema lets exactly one of them be set.
  const deny = config.deny !== null && config.deny.length > 0;
  return {
    deny,
    groups: (deny ? config.deny : config.allow) ?? [],
    hideGroupsHeader: config.hide_groups_header,
    alwaysUseAuthenticatedGroups: config.always_use_authenticated_groups,
    consumerGroups: groupsByConsumer(data),
    decisions: new Map(),
  };
}

/** `true` to block, else the value of the groups header. */
function decision(conf: AclConf, groups: GroupList): true | string {
  let inGroup = false;
  for (const name of conf.groups) {
    if (groups.set.has(name)) {
      inGroup = true;
      break;
    }
  }
  const blocked = conf.deny ? inGroup : !inGroup;
  if (blocked) return true;
  return conf.hideGroupsHeader ? '' : groups.names.join(', ');
}

/** The groups another plugin authenticated (`kong.ctx.shared.authenticated_groups`), or null. */
function authenticatedGroups(kong: Kong): GroupList | null {
  const value = kong.ctx.shared.authenticated_groups;
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) {
    kong.log.warn('invalid authenticated_groups, a table was expected');
    return null;
  }
  const names = value.filter((v): v is string => typeof v === 'string');
  return { names, set: new Set(names) };
}

function refuseUnauthenticated(kong: Kong, hasCredential: boolean): void {
  if (hasCredential) kong.response.error(403, ERR_FORBIDDEN);
  else kong.response.error(401);
}

function access(kong: Kong, conf: AclConf): void {
  const consumer = kong.client.getConsumer();
  const credential = kong.client.getCredential();
  const consumerId = consumer?.id ?? credential?.consumer?.id ?? null;

  let groups: GroupList | null = null;
  let header = 'X-Authenticated-Groups';
  if (consumerId === null || credential === null || conf.alwaysUseAuthenticatedGroups) groups = authenticatedGroups(kong);
  if (groups === null && consumerId === null) return refuseUnauthenticated(kong, credential !== null);

  let result: true | string;
  if (groups !== null) result = decision(conf, groups);
  else {
    header = 'X-Consumer-Groups';
    let own = conf.consumerGroups.get(consumerId as string);
    if (own === undefined) {
      // A consumer without groups: nothing to deny, nothing to allow.
      if (!conf.deny) return refuseUnauthenticated(kong, credential !== null);
      own = NO_GROUPS;
    }
    let cached = conf.decisions.get(own);
    if (cached === undefined) conf.decisions.set(own, (cached = decision(conf, own)));
    result = cached;
  }

  if (result === true) return kong.response.error(403, ERR_FORBIDDEN);
  if (!conf.hideGroupsHeader) kong.service.request.setHeader(header, result);
}

export const aclHandler: PluginHandler<AclConf, AclConfig> = {
  name: 'acl',
  priority: 950,
  version: '3.10.0',
  prepare,
  access,
};
