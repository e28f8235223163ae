/** tcp-log: each request's log record as one JSON line over a kept-alive TCP (or TLS) connection. */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { TcpLogConfig } from './schema.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { tcpSender, type TcpSender } from '../shared/tcp-sender.ts';

export interface TcpLogConf {
  readonly sender: TcpSender;
  readonly fields: CompiledFields;
  logReady: boolean;
}

export const tcpLogHandler: PluginHandler<TcpLogConf, TcpLogConfig> = {
  name: 'tcp-log',
  priority: 7,
  version: '3.10.0',
  prepare(config) {
    return {
      sender: tcpSender({ host: config.host, port: config.port, timeout: config.timeout, keepalive: config.keepalive, tls: config.tls, tlsSni: config.tls_sni ?? null }),
      fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined),
      logReady: false,
    };
  },
  log(kong: Kong, conf: TcpLogConf) {
    if (!conf.logReady) {
      conf.logReady = true;
      conf.sender.log.write = kong.node.getErrorLog();
    }
    // A message the sender would drop is counted before paying for the record and its JSON.
    if (conf.sender.full) {
      conf.sender.refuse();
      return;
    }
    applyCustomFields(kong, conf.fields);
    conf.sender.send(`${JSON.stringify(kong.log.serialize())}\n`);
  },
};
