/** An asynchronous no-op plugin for the benchmark: its access handler returns a resolved promise. */
import { definePlugin } from 'tollgate/plugin';

export default definePlugin({
  schema: { name: 'noop-async', config: { type: 'record', fields: {} } },
  handler: {
    name: 'noop-async',
    priority: 1000,
    async access() {},
  },
});
