/**
 * loggly: each request's log record, as JSON, in an RFC 5424 syslog message over UDP to Loggly, with the
 * customer token and tags in the structured data (`[KEY@41058 tag="kong"]`) and the severity of the
 * response's class, when that severity reaches `log_level` — Kong's format and rule.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { LogglyConfig } from './schema.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { severityConf, severityFor, type SeverityConf } from '../shared/severity.ts';
import { UdpSender } from '../shared/udp-sender.ts';

export interface LogglyConf {
  readonly sender: UdpSender;
  /** `[KEY@41058 tag="a" tag="b"]`, built once. */
  readonly structuredData: string;
  readonly severities: SeverityConf;
  readonly fields: CompiledFields;
  /** The node's host name, known from the PDK at the first request. */
  hostname: string | null;
}

/** RFC 5424 time without fractions, as Kong's `os.date("!%Y-%m-%dT%XZ")`. */
function timestamp(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}

export const logglyHandler: PluginHandler<LogglyConf, LogglyConfig> = {
  name: 'loggly',
  priority: 6,
  version: '3.10.0',
  prepare(config) {
    const tags = (config.tags ?? []).map((t) => `tag="${t}"`).join(' ');
    return {
      sender: new UdpSender(config.host, config.port),
      structuredData: `[${config.key}@41058 ${tags}]`,
      severities: severityConf(config),
      fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined),
      hostname: null,
    };
  },
  log(kong: Kong, conf: LogglyConf) {
    if (conf.hostname === null) {
      conf.hostname = kong.node.getHostname();
      conf.sender.log.write = kong.node.getErrorLog();
    }
    applyCustomFields(kong, conf.fields);
    const record = kong.log.serialize();
    const severity = severityFor(conf.severities, record.response.status);
    if (severity < 0) return;
    // Facility user (1): priority 8 + severity.
    conf.sender.send(`<${8 + severity}>1 ${timestamp()} ${conf.hostname} kong - - ${conf.structuredData} ${JSON.stringify(record)}`);
  },
};
