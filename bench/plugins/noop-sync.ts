/** A synchronous no-op plugin for the benchmark: one access handler that reads nothing and returns. */
import { definePlugin } from 'tollgate/plugin';

export default definePlugin({
  schema: { name: 'noop-sync', config: { type: 'record', fields: {} } },
  handler: {
    name: 'noop-sync',
    priority: 1000,
    access() {},
  },
});
