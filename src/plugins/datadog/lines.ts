/**
 * One log record as DogStatsD lines, as Kong's datadog plugin writes them: `<prefix>.<stat>:<value>|<type>`, then
 * `|@<rate>` when the rate is not 1, then `|#name:<service>,status:<status>[,consumer:<id>],<metric tags>`
 * (tag names from the configuration; dots in the service's name or host become `_`).
 */
import type { LogRecord } from '../../pdk/index.ts';

export const DATADOG_TYPES: Readonly<Record<string, string>> = { gauge: 'g', counter: 'c', timer: 'ms', histogram: 'h', meter: 'm', set: 's', distribution: 'd' };

const STATS: Readonly<Record<string, readonly [string, (r: LogRecord) => number | undefined]>> = {
  request_size: ['request.size', (r) => r.request?.size],
  response_size: ['response.size', (r) => r.response?.size],
  latency: ['latency', (r) => r.latencies.request],
  upstream_latency: ['upstream_latency', (r) => r.latencies.proxy],
  kong_latency: ['kong_latency', (r) => r.latencies.kong],
  request_count: ['request.count', () => 1],
};

export interface DatadogMetric {
  readonly name: string;
  readonly stat_type: string;
  readonly tags?: readonly string[] | null;
  readonly sample_rate?: number | null;
  readonly consumer_identifier?: string | null;
}

export interface DatadogLinesConf {
  readonly prefix: string;
  readonly serviceNameTag: string;
  readonly statusTag: string;
  readonly consumerTag: string;
  readonly metrics: readonly DatadogMetric[];
}

type Entity = Readonly<Record<string, unknown>> | undefined;

function consumerId(consumer: Entity, how: string | null | undefined): string | null {
  if (consumer === undefined) return null;
  const value = how === 'consumer_id' ? String(consumer.id ?? '').replaceAll('-', '_') : how === 'custom_id' ? consumer.custom_id : how === 'username' ? consumer.username : null;
  return typeof value === 'string' ? value : null;
}

function serviceTag(service: Entity): string {
  if (service === undefined) return '';
  const name = typeof service.name === 'string' ? service.name : typeof service.host === 'string' ? service.host : '';
  return name.replaceAll('.', '_');
}

export function datadogLines(conf: DatadogLinesConf, record: LogRecord): string[] {
  const service = serviceTag(record.service);
  const status = record.response?.status ?? '-';
  const lines: string[] = [];
  for (const metric of conf.metrics) {
    const stat = STATS[metric.name];
    if (stat === undefined) continue;
    const tags = [`${conf.serviceNameTag}:${service}`, `${conf.statusTag}:${status}`];
    const consumer = consumerId(record.consumer, metric.consumer_identifier);
    if (consumer !== null) tags.push(`${conf.consumerTag}:${consumer}`);
    for (const tag of metric.tags ?? []) tags.push(tag);
    const rate = metric.sample_rate != null && metric.sample_rate !== 1 ? `|@${metric.sample_rate}` : '';
    lines.push(`${conf.prefix}.${stat[0]}:${stat[1](record)}|${DATADOG_TYPES[metric.stat_type]}${rate}|#${tags.join(',')}`);
  }
  return lines;
}
