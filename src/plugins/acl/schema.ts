/** acl configuration, with Kong's fields and checks (exactly one of `allow` and `deny`). */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';

export const aclSchema = definePluginSchema({
  name: 'acl',
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      allow: { type: 'array', elements: { type: 'string' }, description: 'Groups allowed to consume the service or route (this or `deny`).' },
      deny: { type: 'array', elements: { type: 'string' }, description: 'Groups not allowed to consume the service or route (this or `allow`).' },
      hide_groups_header: { type: 'boolean', required: true, default: false, description: 'Do not send X-Consumer-Groups (or X-Authenticated-Groups) upstream.' },
      always_use_authenticated_groups: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Use the authenticated groups (set by another plugin) even when a consumer is authenticated; fall back to the consumer\'s groups.',
      },
    },
  },
  entityChecks: [{ only_one_of: ['config.allow', 'config.deny'] }, { at_least_one_of: ['config.allow', 'config.deny'] }],
});

/** acl's validated configuration. */
export type AclConfig = PluginConfig<typeof aclSchema>;
