/**
 * add-header: adds a configured header to the response, and optionally the same to the request sent upstream.
 * A single-module plugin in Tollgate's format; enable it with `plugins = bundled, add-header` and
 * `plugin_paths = <this directory>`.
 */
import { definePlugin } from 'tollgate/plugin';

export default definePlugin({
  schema: {
    name: 'add-header',
    config: {
      type: 'record',
      fields: {
        header_name: { type: 'string', required: true, default: 'X-Added-By', description: 'Name of the header to add.' },
        header_value: { type: 'string', required: true, description: 'Its value.' },
        upstream: { type: 'boolean', required: true, default: false, description: 'Also send it to the upstream service.' },
      },
    },
  },
  handler: {
    name: 'add-header',
    priority: 810,
    version: '1.0.0',
    // Runs once per plugin entity and configuration: the phases read what it returns.
    prepare(config) {
      return { name: config.header_name as string, value: config.header_value as string, upstream: config.upstream === true };
    },
    access(kong, conf) {
      if (conf.upstream) kong.service.request.setHeader(conf.name, conf.value);
    },
    header_filter(kong, conf) {
      kong.response.setHeader(conf.name, conf.value);
    },
  },
});
