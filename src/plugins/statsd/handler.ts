/**
 * statsd: per-request metrics (counts, sizes, latencies, statuses, users) to a StatsD server over UDP (packed
 * up to `udp_packet_size`) or TCP, with Kong's metric names and tag styles. Records go through the shared
 * bounded queue, so a slow or absent StatsD server never slows the proxy.
 */
import type { Kong, LogRecord, PluginHandler } from '../../pdk/index.ts';
import type { PluginEntityScope } from '../../pdk/plugin-handler.ts';
import type { StatsdConfig } from './schema.ts';
import { effectiveQueueSettings, type QueueSettings } from '../shared/log-queue/schema.ts';
import { queueFor, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
import { UdpSender } from '../shared/udp-sender.ts';
import { tcpSender, type TcpSender } from '../shared/tcp-sender.ts';
import { KINDS, packLines, statsdLines, type MetricConf } from './lines.ts';

export interface StatsdConf {
  readonly queueName: string;
  readonly logTag: string;
  readonly settings: QueueSettings;
  readonly warnings: readonly string[];
  /** Status ranges to record, or null for all. */
  readonly ranges: readonly (readonly [number, number])[] | null;
  readonly config: StatsdConfig;
  readonly metrics: readonly MetricConf[];
  readonly udp: UdpSender | null;
  readonly tcp: TcpSender | null;
  send: ((records: readonly LogRecord[]) => Promise<void>) | null;
  log: QueueLog | null;
  /** The shared queue, once this entity used it. */
  queue: LogQueue<LogRecord> | null;
}

function prepare(config: StatsdConfig, _data: unknown, entity?: PluginEntityScope): StatsdConf {
  const { settings, warnings } = effectiveQueueSettings('statsd', config.queue as QueueSettings, config);
  const metrics: MetricConf[] = (config.metrics as readonly Readonly<Record<string, unknown>>[]).map((m) => ({
    name: m.name as string,
    kind: KINDS[m.stat_type as string],
    rate: typeof m.sample_rate === 'number' && m.sample_rate !== 1 ? `|@${m.sample_rate}` : '',
    consumerIdentifier: (m.consumer_identifier as string | null | undefined) ?? config.consumer_identifier_default,
    serviceIdentifier: (m.service_identifier as string | null | undefined) ?? config.service_identifier_default,
    workspaceIdentifier: (m.workspace_identifier as string | null | undefined) ?? config.workspace_identifier_default,
  }));
  const ranges = config.allow_status_codes == null ? null : config.allow_status_codes.map((r) => {
    const [a, b] = r.split('-').map(Number);
    return [a, b] as const;
  });
  const id = entity?.id ?? 'statsd';
  return {
    queueName: id,
    logTag: `statsd plugin ${id}`,
    settings,
    warnings,
    ranges,
    config,
    metrics,
    udp: config.use_tcp ? null : new UdpSender(config.host, config.port),
    tcp: config.use_tcp ? tcpSender({ host: config.host, port: config.port, timeout: 1000, keepalive: 60000, tls: false, tlsSni: null }) : null,
    send: null,
    log: null,
    queue: null,
  };
}

function allowed(ranges: StatsdConf['ranges'], status: number): boolean {
  if (ranges === null) return true;
  for (const [a, b] of ranges) if (status >= a && status <= b) return true;
  return false;
}

/** Builds the sender on first use, once the node's host name is known (from the PDK). */
function senderFor(conf: StatsdConf, kong: Kong): (records: readonly LogRecord[]) => Promise<void> {
  const hostname = kong.node.getHostname().replaceAll('.', '_');
  const c = conf.config;
  const prefix = c.hostname_in_prefix && c.tag_style == null ? `${c.prefix}.node.${hostname}` : c.prefix;
  const linesConf = { prefix, tagStyle: c.tag_style ?? null, metrics: conf.metrics, hostname };
  const packetSize = c.udp_packet_size;
  return async (records) => {
    const lines: string[] = [];
    for (const r of records) for (const line of statsdLines(linesConf, r)) lines.push(line);
    if (conf.tcp !== null) {
      conf.tcp.send(lines.map((l) => `${l}\n`).join(''));
      return;
    }
    for (const packet of packLines(lines, packetSize)) conf.udp!.send(packet);
  };
}

export const statsdHandler: PluginHandler<StatsdConf, StatsdConfig> = {
  name: 'statsd',
  priority: 11,
  version: '3.10.0',
  prepare,
  log(kong: Kong, conf: StatsdConf) {
    if (!allowed(conf.ranges, kong.response.getStatus())) return;
    if (conf.log === null) {
      conf.log = kong.node.getErrorLog();
      (conf.udp ?? conf.tcp)!.log.write = conf.log;
      for (const w of conf.warnings) conf.log('warn', w);
    }
    conf.send ??= senderFor(conf, kong);
    const queue = queueFor<LogRecord>(conf, conf.send, conf.log);
    // A full queue would drop an entry anyway: count the drop before paying for the record.
    if (queue.full) {
      queue.refuse();
      return;
    }
    queue.enqueue(kong.log.serialize());
  },
};
