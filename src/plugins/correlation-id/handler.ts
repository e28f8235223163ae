/**
 * correlation-id: gives every request an id in a header (kept when the client sent one), passes it upstream,
 * records it in the log record as `correlation_id`, and with `echo_downstream` returns it to the client.
 */
import { randomUUID } from 'node:crypto';
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { CorrelationIdConfig } from './schema.ts';

/** This worker's UUID and counter for `uuid#counter` (Kong makes them per worker in init_worker). */
let workerUuid = randomUUID();
let workerCounter = 0;

type Generator = (kong: Kong) => string;

const GENERATORS: Readonly<Record<string, Generator>> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${workerUuid}#${++workerCounter}`,
  // Kong's tracker is server address, server port, worker pid, connection serial, requests on the connection
  // and the time; the PDK shows no connection, so the client's address and port stand for it and a
  // per-worker request count for its position.
  tracker: (kong) =>
    `${kong.request.getHost()}-${kong.request.getPort()}-${process.pid}-${kong.client.getIp()}:${kong.client.getPort()}-${++workerCounter}-${(Date.now() / 1000).toFixed(3)}`,
};

export interface CorrelationIdConf {
  readonly headerName: string;
  readonly generate: Generator;
  readonly echoDownstream: boolean;
}

function prepare(config: CorrelationIdConfig): CorrelationIdConf {
  return {
    headerName: config.header_name ?? 'Kong-Request-ID',
    generate: GENERATORS[config.generator],
    echoDownstream: config.echo_downstream,
  };
}

function access(kong: Kong, conf: CorrelationIdConf): void {
  let id = kong.request.getHeader(conf.headerName);
  if (id === undefined || id === '') {
    id = conf.generate(kong);
    kong.service.request.setHeader(conf.headerName, id);
  }
  kong.log.setSerializeValue('correlation_id', id);
  if (conf.echoDownstream) kong.ctx.plugin.correlation_id = id;
}

function header_filter(kong: Kong, conf: CorrelationIdConf): void {
  if (!conf.echoDownstream) return;
  // Without an access phase (an earlier plugin answered), the client's id or a new one is echoed.
  let id = kong.ctx.plugin.correlation_id as string | undefined;
  if (id === undefined || id === '') id = kong.request.getHeader(conf.headerName);
  if (id === undefined || id === '') id = conf.generate(kong);
  kong.response.setHeader(conf.headerName, id);
}

export const correlationIdHandler: PluginHandler<CorrelationIdConf, CorrelationIdConfig> = {
  name: 'correlation-id',
  priority: 100001,
  version: '3.10.0',
  init_worker() {
    workerUuid = randomUUID();
    workerCounter = 0;
  },
  prepare,
  access,
  header_filter,
};
