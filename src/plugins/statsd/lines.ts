/**
 * Turns one log record into StatsD lines with Kong's naming (kong/plugins/statsd/log.lua): without a tag
 * style, `<prefix>.service.<name>.request.count:1|c` and friends (dots in names become `_`, no service gives
 * `global.unmatched`); with a tag style, `<prefix>.request.count` with service, route, workspace, consumer,
 * node and status as DogStatsD, InfluxDB, Librato or SignalFx tags, and the per-user/per-status metrics left
 * out, as Kong does.
 */
import type { LogRecord } from '../../pdk/index.ts';

export interface MetricConf {
  readonly name: string;
  /** StatsD type letter(s): c, g, ms, h, m, s. */
  readonly kind: string;
  /** `|@rate`, or '' for a rate of 1 or none. */
  readonly rate: string;
  readonly consumerIdentifier: string;
  readonly serviceIdentifier: string;
  readonly workspaceIdentifier: string;
}

export interface StatsdLinesConf {
  /** `prefix`, plus `.node.<hostname>` with hostname_in_prefix (no tag style). */
  readonly prefix: string;
  readonly tagStyle: string | null;
  readonly metrics: readonly MetricConf[];
  /** The node's host name with dots as `_`. */
  readonly hostname: string;
}

export const KINDS: Readonly<Record<string, string>> = { gauge: 'g', counter: 'c', timer: 'ms', histogram: 'h', meter: 'm', set: 's' };

const WORKSPACE_ID = '00000000-0000-0000-0000-000000000000';

type Entity = Readonly<Record<string, unknown>> | undefined;

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

function consumerId(consumer: Entity, how: string): string | null {
  if (consumer === undefined) return null;
  return text(how === 'consumer_id' ? consumer.id : how === 'username' ? consumer.username : consumer.custom_id);
}

function serviceId(service: Entity, how: string): string | null {
  if (service === undefined) return null;
  switch (how) {
    case 'service_id':
      return text(service.id);
    case 'service_name':
      return text(service.name);
    case 'service_host':
      return text(service.host);
    default:
      return text(service.name) ?? text(service.host);
  }
}

function workspaceId(record: LogRecord, how: string): string {
  return how === 'workspace_name' ? record.workspace_name : record.workspace || WORKSPACE_ID;
}

function scopeName(record: LogRecord, how: string): string {
  if (record.service === undefined) return 'global.unmatched';
  const name = serviceId(record.service, how);
  return name === null ? 'service.unnamed' : `service.${name.replaceAll('.', '_')}`;
}

function tagsOf(record: LogRecord, m: MetricConf, hostname: string): [string, string][] | null {
  const service = serviceId(record.service, m.serviceIdentifier);
  // Kong records no tags without a service.
  if (service === null) return null;
  const tags: [string, string][] = [['service', service]];
  const route = record.route;
  if (route !== undefined) {
    const r = text(route.name) ?? text(route.id);
    if (r !== null) tags.push(['route', r]);
  }
  tags.push(['workspace', workspaceId(record, m.workspaceIdentifier)]);
  const consumer = consumerId(record.consumer, m.consumerIdentifier);
  if (consumer !== null) tags.push(['consumer', consumer]);
  tags.push(['node', hostname]);
  tags.push(['status', String(record.response.status)]);
  return tags;
}

function tagged(prefix: string, stat: string, value: string, kind: string, rate: string, tags: [string, string][] | null, style: string): string {
  if (tags === null) return `${prefix}.${stat}:${value}|${kind}${rate}`;
  switch (style) {
    case 'dogstatsd':
      return `${prefix}.${stat}:${value}|${kind}${rate}|#${tags.map(([k, v]) => `${k}:${v}`).join(',')}`;
    case 'influxdb':
      return `${prefix}.${stat},${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${value}|${kind}${rate}`;
    case 'librato':
      return `${prefix}.${stat}#${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${value}|${kind}${rate}`;
    default:
      return `${prefix}.${stat}[${tags.map(([k, v]) => `${k}=${v}`).join(',')}]:${value}|${kind}${rate}`;
  }
}

const SIMPLE: Readonly<Record<string, readonly [string, (r: LogRecord) => number | undefined]>> = {
  request_count: ['request.count', () => 1],
  request_size: ['request.size', (r) => r.request.size],
  response_size: ['response.size', (r) => r.response.size],
  latency: ['latency', (r) => r.latencies.request],
  upstream_latency: ['upstream_latency', (r) => r.latencies.proxy],
  kong_latency: ['kong_latency', (r) => r.latencies.kong],
};

/** The StatsD lines for one record, in the order of the configured metrics. */
export function statsdLines(conf: StatsdLinesConf, record: LogRecord): string[] {
  const out: string[] = [];
  const { prefix, tagStyle } = conf;
  const status = record.response.status;
  for (const m of conf.metrics) {
    const simple = SIMPLE[m.name];
    if (simple !== undefined) {
      const value = simple[1](record);
      if (value === undefined || value === -1) continue;
      if (tagStyle !== null) out.push(tagged(prefix, simple[0], String(value), m.kind, m.rate, tagsOf(record, m, conf.hostname), tagStyle));
      else out.push(`${prefix}.${scopeName(record, m.serviceIdentifier)}.${simple[0]}:${value}|${m.kind}${m.rate}`);
      continue;
    }
    // The per-user, per-status and per-workspace metrics exist only without a tag style (Kong's rule).
    if (tagStyle !== null) continue;
    const scope = scopeName(record, m.serviceIdentifier);
    switch (m.name) {
      case 'status_count':
        out.push(`${prefix}.${scope}.status.${status}:1|c${m.rate}`);
        break;
      case 'unique_users': {
        const c = consumerId(record.consumer, m.consumerIdentifier);
        if (c !== null) out.push(`${prefix}.${scope}.user.uniques:${c}|s`);
        break;
      }
      case 'request_per_user': {
        const c = consumerId(record.consumer, m.consumerIdentifier);
        if (c !== null) out.push(`${prefix}.${scope}.user.${c}.request.count:1|c${m.rate}`);
        break;
      }
      case 'status_count_per_user': {
        const c = consumerId(record.consumer, m.consumerIdentifier);
        if (c !== null) out.push(`${prefix}.${scope}.user.${c}.status.${status}:1|c${m.rate}`);
        break;
      }
      case 'status_count_per_workspace':
        out.push(`${prefix}.${scope}.workspace.${workspaceId(record, m.workspaceIdentifier)}.status.${status}:1|c${m.rate}`);
        break;
      case 'status_count_per_user_per_route': {
        const c = consumerId(record.consumer, m.consumerIdentifier);
        const routeId = text(record.route?.id);
        if (c !== null && routeId !== null) out.push(`${prefix}.route.${routeId}.user.${c}.status.${status}:1|c${m.rate}`);
        break;
      }
      // shdict_usage: Tollgate has no lua_shared_dicts to report.
    }
  }
  return out;
}

/** Packs lines into datagrams of at most `size` bytes joined by newlines (0: one line per datagram). */
export function packLines(lines: readonly string[], size: number): string[] {
  if (size <= 0) return [...lines];
  const packets: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current === '') current = line;
    else if (current.length + 1 + line.length > size) {
      packets.push(current);
      current = line;
    } else current += `\n${line}`;
  }
  if (current !== '') packets.push(current);
  return packets;
}
