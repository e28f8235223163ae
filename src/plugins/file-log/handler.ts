/**
 * file-log: appends each request's log record as one JSON line to `path`, through a buffered asynchronous
 * writer (writer.ts), so no request waits on the disk.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { FileLogConfig } from './schema.ts';
import { applyCustomFields, compileCustomFields, type CompiledFields } from '../shared/custom-fields.ts';
import { writerFor, type AppendWriter } from './writer.ts';

export interface FileLogConf {
  readonly writer: AppendWriter;
  readonly reopen: boolean;
  readonly fields: CompiledFields;
  logReady: boolean;
}

export const fileLogHandler: PluginHandler<FileLogConf, FileLogConfig> = {
  name: 'file-log',
  priority: 9,
  version: '3.10.0',
  prepare(config) {
    return {
      writer: writerFor(config.path),
      reopen: config.reopen,
      fields: compileCustomFields(config.custom_fields as Readonly<Record<string, string>> | null | undefined),
      logReady: false,
    };
  },
  log(kong: Kong, conf: FileLogConf) {
    const w = conf.writer;
    if (!conf.logReady) {
      conf.logReady = true;
      w.log = kong.node.getErrorLog();
    }
    // The latest configuration for this path decides, as Kong's shared descriptor table does.
    w.reopen = conf.reopen;
    // A line the writer would drop is counted before paying for the record and its JSON.
    if (w.full) {
      w.refuse();
      return;
    }
    applyCustomFields(kong, conf.fields);
    w.append(`${JSON.stringify(kong.log.serialize())}\n`);
  },
};
