/**
 * The upstream headers by which Kong's auth plugins tell the service who the request is: X-Consumer-ID,
 * X-Consumer-Custom-ID, X-Consumer-Username, X-Credential-Identifier and X-Anonymous-Consumer. Each is set
 * when known and cleared otherwise, so a client cannot forge one; always in this order, so the upstream
 * request's header order does not depend on which plugin authenticated it.
 */
import type { Kong, PluginConsumer } from '../../pdk/index.ts';

/**
 * `identifier` is what the plugin names its credential by (an id, a username, a key, a client id); null
 * when no credential was proven. `anonymous` marks the `anonymous` consumer of a failed authentication.
 */
export function setConsumerHeaders(kong: Kong, consumer: PluginConsumer | null, identifier: string | null, anonymous: boolean): void {
  const upstream = kong.service.request;
  if (consumer !== null) {
    upstream.setHeader('X-Consumer-ID', consumer.id);
    if (consumer.custom_id !== null) upstream.setHeader('X-Consumer-Custom-ID', consumer.custom_id);
    else upstream.clearHeader('X-Consumer-Custom-ID');
    if (consumer.username !== null) upstream.setHeader('X-Consumer-Username', consumer.username);
    else upstream.clearHeader('X-Consumer-Username');
  } else {
    upstream.clearHeader('X-Consumer-ID');
    upstream.clearHeader('X-Consumer-Custom-ID');
    upstream.clearHeader('X-Consumer-Username');
  }
  if (identifier !== null) upstream.setHeader('X-Credential-Identifier', identifier);
  else upstream.clearHeader('X-Credential-Identifier');
  if (anonymous) upstream.setHeader('X-Anonymous-Consumer', 'true');
  else upstream.clearHeader('X-Anonymous-Consumer');
}
