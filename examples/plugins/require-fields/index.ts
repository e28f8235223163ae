/**
 * require-fields: refuses JSON requests whose body lacks any of the configured top-level fields, and tells the
 * upstream which fields it checked. A folder plugin in Tollgate's format with an async phase: reading the
 * request body returns a promise, and the runtime awaits the phase.
 */
import { definePlugin, definePluginSchema } from 'tollgate/plugin';

const schema = definePluginSchema({
  name: 'require-fields',
  config: {
    type: 'record',
    fields: {
      fields: { type: 'array', required: true, elements: { type: 'string', len_min: 1 }, description: 'Top-level JSON fields every request body must have.' },
      status: { type: 'integer', required: true, default: 400, between: [400, 499], description: 'Status of the refusal.' },
    },
  },
});

export default definePlugin({
  schema,
  handler: {
    name: 'require-fields',
    priority: 850,
    version: '1.0.0',
    async access(kong, conf) {
      const type = kong.request.getHeader('content-type') ?? '';
      if (!type.startsWith('application/json')) return;
      let body: unknown;
      try {
        body = await kong.request.getBody('application/json');
      } catch {
        kong.response.error(conf.status, 'the request body is not valid JSON');
        return;
      }
      const present = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
      const missing = conf.fields.filter((field) => !(field in present));
      if (missing.length > 0) {
        kong.response.exit(conf.status, { message: `missing field(s): ${missing.join(', ')}` });
        return;
      }
      kong.service.request.setHeader('X-Checked-Fields', conf.fields.join(','));
    },
  },
});
