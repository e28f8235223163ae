/**
 * syslog: each request's log record, as JSON, to the local syslog daemon with the facility configured and the
 * severity of the response's class (2xx/3xx, 4xx, 5xx), when that severity reaches `log_level` — Kong's rule.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { FACILITIES, type SyslogConfig } from './schema.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { severityConf, severityFor, type SeverityConf } from '../shared/severity.ts';
import { localSyslog, type LocalSyslog } from './local-syslog.ts';

export interface SyslogConf {
  readonly facility: number;
  readonly severities: SeverityConf;
  readonly fields: CompiledFields;
  syslog: LocalSyslog | null;
}

export const syslogHandler: PluginHandler<SyslogConf, SyslogConfig> = {
  name: 'syslog',
  priority: 4,
  version: '3.10.0',
  prepare(config) {
    return {
      facility: FACILITIES[config.facility as keyof typeof FACILITIES],
      severities: severityConf(config),
      fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined),
      syslog: null,
    };
  },
  log(kong: Kong, conf: SyslogConf) {
    if (conf.syslog === null) {
      conf.syslog = localSyslog(kong.node.getSyslogSocket());
      conf.syslog.log.write = kong.node.getErrorLog();
    }
    // A record the daemon's pipe would drop is counted before paying for the record and its JSON (unless
    // `log_level` would have left it out anyway).
    if (conf.syslog.full) {
      if (severityFor(conf.severities, kong.response.getStatus()) >= 0) conf.syslog.refuse();
      return;
    }
    applyCustomFields(kong, conf.fields);
    const record = kong.log.serialize();
    const severity = severityFor(conf.severities, record.response.status);
    if (severity < 0) return;
    conf.syslog.send(conf.facility * 8 + severity, JSON.stringify(record));
  },
};
