/**
 * request-counter: counts the requests of each route in a fixed window with the node-wide shared counters
 * (exact across all workers), tells the client the count, and turns requests away past `limit`.
 * A folder plugin in Tollgate's format: `kong.counters.incr` returns a promise, which the phase awaits.
 */
import { definePlugin, definePluginSchema } from 'tollgate/plugin';

const schema = definePluginSchema({
  name: 'request-counter',
  config: {
    type: 'record',
    fields: {
      window_seconds: { type: 'integer', required: true, default: 60, gt: 0, description: 'Length of the counting window.' },
      limit: { type: 'integer', required: false, description: 'Requests allowed per window; unset counts without limiting.' },
      header_name: { type: 'string', required: true, default: 'X-Request-Count', description: 'Response header carrying the count.' },
    },
  },
});

export default definePlugin({
  schema,
  handler: {
    name: 'request-counter',
    priority: 905,
    async access(kong, conf) {
      const route = kong.router.getRoute();
      const windowMs = conf.window_seconds * 1000;
      const window = Math.floor(Date.now() / windowMs);
      const key = `request-counter:${String(route?.id ?? 'global')}:${window}`;
      const count = await kong.counters.incr(key, 1, windowMs);
      kong.ctx.plugin.count = count;
      if (conf.limit !== null && count > conf.limit) {
        kong.response.exit(429, { message: `more than ${conf.limit} requests in ${conf.window_seconds} s` }, { [conf.header_name]: String(count) });
        return;
      }
    },
    header_filter(kong, conf) {
      const count = kong.ctx.plugin.count;
      if (typeof count === 'number') kong.response.setHeader(conf.header_name, count);
    },
  },
});
