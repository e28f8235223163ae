/**
 * datadog: per-request metrics to a DogStatsD agent over UDP, one datagram per metric, with Kong's metric names
 * and tags. Records go through the shared bounded queue, so a slow or absent agent never slows the proxy.
 */
import type { Kong, LogRecord, PluginHandler } from '../../pdk/index.ts';
import type { PluginEntityScope } from '../../pdk/plugin-handler.ts';
import type { DatadogConfig } from './schema.ts';
import { effectiveQueueSettings, type QueueSettings } from '../shared/log-queue/schema.ts';
import { queueFor, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
import { UdpSender } from '../shared/udp-sender.ts';
import { datadogLines, type DatadogLinesConf, type DatadogMetric } from './lines.ts';

export interface DatadogConf {
  readonly queueName: string;
  readonly logTag: string;
  readonly settings: QueueSettings;
  readonly warnings: readonly string[];
  readonly udp: UdpSender;
  readonly send: (records: readonly LogRecord[]) => Promise<void>;
  log: QueueLog | null;
  queue: LogQueue<LogRecord> | null;
}

function prepare(config: DatadogConfig, _data: unknown, entity?: PluginEntityScope): DatadogConf {
  const { settings, warnings } = effectiveQueueSettings('datadog', config.queue as QueueSettings, config);
  // Kong reads the agent's address from the environment when the configuration leaves it out.
  const host = config.host ?? process.env.KONG_DATADOG_AGENT_HOST ?? 'localhost';
  const port = config.port ?? (Number(process.env.KONG_DATADOG_AGENT_PORT) || 8125);
  const udp = new UdpSender(host, port);
  const linesConf: DatadogLinesConf = {
    prefix: config.prefix ?? 'kong',
    serviceNameTag: config.service_name_tag ?? 'name',
    statusTag: config.status_tag ?? 'status',
    consumerTag: config.consumer_tag ?? 'consumer',
    metrics: config.metrics as readonly DatadogMetric[],
  };
  const id = entity?.id ?? 'datadog';
  return {
    queueName: id,
    logTag: `datadog plugin ${id}`,
    settings,
    warnings,
    udp,
    send: async (records) => {
      for (const record of records) for (const line of datadogLines(linesConf, record)) udp.send(line);
    },
    log: null,
    queue: null,
  };
}

export const datadogHandler: PluginHandler<DatadogConf, DatadogConfig> = {
  name: 'datadog',
  priority: 10,
  version: '3.10.0',
  prepare,
  log(kong: Kong, conf: DatadogConf) {
    if (conf.log === null) {
      conf.log = kong.node.getErrorLog();
      conf.udp.log.write = conf.log;
      for (const w of conf.warnings) conf.log('warn', w);
    }
    const queue = queueFor<LogRecord>(conf, conf.send, conf.log);
    // A full queue would drop the entry anyway: count the drop before building the record.
    if (queue.full) {
      queue.refuse();
      return;
    }
    queue.enqueue(kong.log.serialize());
  },
};
