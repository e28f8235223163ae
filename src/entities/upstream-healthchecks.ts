/**
 * The `healthchecks` record of upstreams. Every sub-record carries its own default, so an upstream created
 * without health checks reads back with the whole structure populated (checks disabled: intervals and
 * thresholds at 0), and a partial structure is completed field by field.
 */
import { defineField, typedefs } from '../schema/index.ts';

const seconds = { type: 'number', between: [0, 65535] } as const;
const oneByteInteger = { type: 'integer', between: [0, 255] } as const;
const httpStatuses = { type: 'array', elements: { type: 'integer', between: [100, 999] } } as const;
const checkType = { type: 'string', one_of: ['tcp', 'http', 'https', 'grpc', 'grpcs'], default: 'http' } as const;

const ACTIVE_HEALTHY = { interval: 0, http_statuses: [200, 302], successes: 0 };
const ACTIVE_UNHEALTHY = {
  interval: 0,
  http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
  tcp_failures: 0,
  timeouts: 0,
  http_failures: 0,
};
const PASSIVE_HEALTHY = {
  http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
  successes: 0,
};
const PASSIVE_UNHEALTHY = { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 };
const ACTIVE = {
  type: 'http',
  timeout: 1,
  concurrency: 10,
  http_path: '/',
  https_verify_certificate: true,
  healthy: ACTIVE_HEALTHY,
  unhealthy: ACTIVE_UNHEALTHY,
};
const PASSIVE = { type: 'http', healthy: PASSIVE_HEALTHY, unhealthy: PASSIVE_UNHEALTHY };

export const healthchecksField = defineField({
  type: 'record',
  default: { active: ACTIVE, passive: PASSIVE },
  description: 'Active probing and passive (traffic-based) health checking of targets.',
  fields: {
    active: {
      type: 'record',
      default: ACTIVE,
      fields: {
        type: checkType,
        timeout: { ...seconds, default: 1 },
        concurrency: { type: 'integer', between: [1, 2 ** 31], default: 10 },
        http_path: { ...typedefs.path, default: '/' },
        https_sni: { ...typedefs.sni, required: false },
        https_verify_certificate: { type: 'boolean', required: true, default: true },
        headers: { ...typedefs.headers, required: false },
        healthy: {
          type: 'record',
          default: ACTIVE_HEALTHY,
          fields: {
            interval: { ...seconds, default: 0 },
            http_statuses: { ...httpStatuses, default: ACTIVE_HEALTHY.http_statuses },
            successes: { ...oneByteInteger, default: 0 },
          },
        },
        unhealthy: {
          type: 'record',
          default: ACTIVE_UNHEALTHY,
          fields: {
            interval: { ...seconds, default: 0 },
            http_statuses: { ...httpStatuses, default: ACTIVE_UNHEALTHY.http_statuses },
            tcp_failures: { ...oneByteInteger, default: 0 },
            timeouts: { ...oneByteInteger, default: 0 },
            http_failures: { ...oneByteInteger, default: 0 },
          },
        },
      },
    },
    passive: {
      type: 'record',
      default: PASSIVE,
      fields: {
        type: checkType,
        healthy: {
          type: 'record',
          default: PASSIVE_HEALTHY,
          fields: {
            http_statuses: { ...httpStatuses, default: PASSIVE_HEALTHY.http_statuses },
            successes: { ...oneByteInteger, default: 0 },
          },
        },
        unhealthy: {
          type: 'record',
          default: PASSIVE_UNHEALTHY,
          fields: {
            http_statuses: { ...httpStatuses, default: PASSIVE_UNHEALTHY.http_statuses },
            tcp_failures: { ...oneByteInteger, default: 0 },
            timeouts: { ...oneByteInteger, default: 0 },
            http_failures: { ...oneByteInteger, default: 0 },
          },
        },
      },
    },
    threshold: { type: 'number', default: 0, between: [0, 100] },
  },
});
