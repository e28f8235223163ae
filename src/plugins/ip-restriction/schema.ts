/** ip-restriction configuration, with Kong's fields, defaults and check (allow or deny must be given). */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';

export const ipRestrictionSchema = definePluginSchema({
  name: 'ip-restriction',
  // Kong also runs it on stream routes (tcp, tls); entities default to the HTTP-family protocols.
  protocols: ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls'],
  config: {
    type: 'record',
    fields: {
      allow: {
        type: 'array',
        elements: typedefs.ip_or_cidr,
        description: 'IP addresses or CIDR blocks allowed; any other client is refused. One of allow or deny must be given.',
      },
      deny: {
        type: 'array',
        elements: typedefs.ip_or_cidr,
        description: 'IP addresses or CIDR blocks refused (checked before allow). One of allow or deny must be given.',
      },
      status: { type: 'number', required: false, description: 'HTTP status of a refusal (default 403).' },
      message: { type: 'string', required: false, description: "Message of a refusal (default 'IP address not allowed: <client ip>')." },
    },
  },
  entityChecks: [{ at_least_one_of: ['config.allow', 'config.deny'] }],
});

/** ip-restriction's validated configuration. */
export type IpRestrictionConfig = PluginConfig<typeof ipRestrictionSchema>;
