/**
 * http-log: sends each request's log record (`kong.log.serialize()`) as JSON to an HTTP collector, through a
 * bounded queue that batches, retries with backoff and drops the oldest entries when the collector cannot keep
 * up, so the proxy never waits on it. Everything per configuration (target, headers, queue settings, custom
 * field templates) is built in `prepare`.
 */
import { createHash } from 'node:crypto';
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { PluginEntityScope } from '../../pdk/plugin-handler.ts';
import type { HttpLogConfig } from './schema.ts';
import { effectiveQueueSettings, type QueueSettings } from '../shared/log-queue/schema.ts';
import { queueFor, type LogQueue, type QueueLog } from '../shared/log-queue/queue.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { batchBody, httpTarget, sendBatch, type HttpTarget } from './sender.ts';

export interface HttpLogConf {
  readonly queueName: string;
  readonly logTag: string;
  readonly settings: QueueSettings;
  readonly target: HttpTarget;
  readonly fields: CompiledFields;
  readonly warnings: readonly string[];
  readonly send: (entries: readonly string[]) => Promise<void>;
  log: QueueLog | null;
  /** The shared queue, once this entity used it. */
  queue: LogQueue<string> | null;
}

/**
 * Kong names the queue after the legacy parameters, so entities sending the same way share it. The name is
 * logged, so the endpoint's user info and query (which may carry a token) stay out of it: a hash of them keeps
 * different credentials apart.
 */
function queueName(c: HttpLogConfig): string {
  const url = new URL(c.http_endpoint);
  const secret = url.username !== '' || url.password !== '' || url.search !== '' ? `${url.username}:${url.password}${url.search}` : '';
  const shown = `${url.origin}${url.pathname}${secret === '' ? '' : `#${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`}`;
  return `${shown}:${c.method}:${c.content_type}:${c.timeout}:${c.keepalive}:${c.retry_count ?? 'nil'}`;
}

function prepare(config: HttpLogConfig, _data: unknown, entity?: PluginEntityScope): HttpLogConf {
  const { settings, warnings } = effectiveQueueSettings('http-log', config.queue as QueueSettings, config);
  const target = httpTarget(config.http_endpoint, config.method, config.content_type, config.timeout, config.keepalive, (config.headers ?? null) as Readonly<Record<string, string>> | null);
  const maxBatch = settings.max_batch_size;
  return {
    queueName: queueName(config),
    logTag: `http-log plugin ${entity?.id ?? ''}`.trimEnd(),
    settings,
    target,
    fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined),
    warnings,
    send: (entries) => sendBatch(target, batchBody(entries, maxBatch)),
    log: null,
    queue: null,
  };
}

export const httpLogHandler: PluginHandler<HttpLogConf, HttpLogConfig> = {
  name: 'http-log',
  priority: 12,
  version: '3.10.0',
  prepare,
  log(kong: Kong, conf: HttpLogConf) {
    if (conf.log === null) {
      conf.log = kong.node.getErrorLog();
      for (const w of conf.warnings) conf.log('warn', w);
    }
    const queue = queueFor<string>(conf, conf.send, conf.log);
    // A full queue would drop an entry anyway: count the drop before paying for the record and its JSON.
    if (queue.full) {
      queue.refuse();
      return;
    }
    applyCustomFields(kong, conf.fields);
    queue.enqueue(JSON.stringify(kong.log.serialize()));
  },
};
