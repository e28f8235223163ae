/** udp-log: each request's log record as one JSON datagram. */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { UdpLogConfig } from './schema.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { UdpSender } from '../shared/udp-sender.ts';

export interface UdpLogConf {
  readonly sender: UdpSender;
  readonly fields: CompiledFields;
  logReady: boolean;
}

export const udpLogHandler: PluginHandler<UdpLogConf, UdpLogConfig> = {
  name: 'udp-log',
  priority: 8,
  version: '3.10.0',
  prepare(config) {
    return { sender: new UdpSender(config.host, config.port), fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined), logReady: false };
  },
  log(kong: Kong, conf: UdpLogConf) {
    if (!conf.logReady) {
      conf.logReady = true;
      conf.sender.log.write = kong.node.getErrorLog();
    }
    applyCustomFields(kong, conf.fields);
    conf.sender.send(JSON.stringify(kong.log.serialize()));
  },
};
