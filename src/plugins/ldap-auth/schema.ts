/** ldap-auth configuration, with Kong's fields, defaults and checks. */
import { definePluginSchema, typedefs, type PluginConfig } from '../../schema/index.ts';

export const ldapAuthSchema = definePluginSchema({
  name: 'ldap-auth',
  // Authentication decides who the consumer is, so it cannot itself be scoped to one.
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      ldap_host: { ...typedefs.host, required: true, description: 'The LDAP server\'s host name or address.' },
      ldap_port: { ...typedefs.port, required: true, default: 389, description: 'The LDAP server\'s port.' },
      ldaps: { type: 'boolean', required: true, default: false, description: 'Connect with LDAP over TLS (usually port 636); not with `start_tls`.' },
      start_tls: { type: 'boolean', required: true, default: false, description: 'Upgrade the connection with the StartTLS extended operation; not with `ldaps`.' },
      verify_ldap_host: { type: 'boolean', required: true, default: false, description: 'Verify the LDAP server\'s certificate and host name (with `ldaps` or `start_tls`).' },
      base_dn: { type: 'string', required: true, description: 'The base DN users are bound under, e.g. `dc=example,dc=com`.' },
      attribute: { type: 'string', required: true, description: 'The attribute naming the user in its DN, e.g. `cn` or `uid`.' },
      cache_ttl: { type: 'number', required: true, default: 60, description: 'Seconds a bind\'s outcome is remembered.' },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the Authorization and Proxy-Authorization headers before proxying.' },
      timeout: { type: 'number', default: 10000, description: 'Milliseconds to wait for the LDAP server (connecting and each answer).' },
      keepalive: { type: 'number', default: 60000, description: 'Milliseconds an idle connection to the LDAP server is kept for reuse.' },
      anonymous: { type: 'string', description: 'Consumer id or username to use when authentication fails (instead of a 401).' },
      header_type: { type: 'string', default: 'ldap', description: 'The scheme of the Authorization header value (`ldap base64(user:password)`).' },
      realm: { type: 'string', required: false, description: 'Realm sent in the WWW-Authenticate header of a 401.' },
    },
    entity_checks: [
      {
        conditional: {
          if_field: 'ldaps',
          if_match: { eq: true },
          then_field: 'start_tls',
          then_match: { eq: false },
          then_err: '\'ldaps\' and \'start_tls\' cannot be enabled simultaneously',
        },
      },
    ],
  },
});

/** ldap-auth's validated configuration. */
export type LdapAuthConfig = PluginConfig<typeof ldapAuthSchema>;
