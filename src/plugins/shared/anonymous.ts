/**
 * Kong's `anonymous` rule, common to every auth plugin. Without it, each configured auth plugin must succeed
 * ("logical AND": a failure answers with the plugin's own 401). With it, any one may ("logical OR"): a plugin
 * steps aside when another already authenticated the request, and a failure lets the request through as the
 * anonymous consumer, or answers 500 when that consumer does not exist.
 */
import type { Kong, PluginConfigData, PluginConsumer } from '../../pdk/index.ts';
import { setConsumerHeaders } from './consumer-headers.ts';

/** The part of an auth plugin's prepared configuration this rule reads. */
export interface AnonymousConf {
  /** `anonymous` as configured (null: failures answer the plugin's 401). */
  readonly anonymous: string | null;
  /** The anonymous consumer, resolved at config time; null when configured but missing (a 500, as Kong). */
  readonly anonymousConsumer: PluginConsumer | null;
}

/** Resolves `anonymous` once per snapshot; an empty string counts as unset, as in Kong. */
export function anonymousConf(configured: string | null | undefined, data: PluginConfigData): AnonymousConf {
  const anonymous = configured !== null && configured !== undefined && configured !== '' ? configured : null;
  return { anonymous, anonymousConsumer: anonymous === null ? null : (data.consumer(anonymous) ?? null) };
}

/** Logical OR: whether this plugin should step aside because an earlier auth plugin already succeeded. */
export function authenticatedByAnother(kong: Kong, conf: AnonymousConf): boolean {
  return conf.anonymous !== null && kong.client.getCredential() !== null;
}

/**
 * After a failed authentication with `anonymous` set: authenticates the anonymous consumer and sets its
 * upstream headers (true), or answers 500 when it does not exist (false).
 */
export function useAnonymous(kong: Kong, conf: AnonymousConf): boolean {
  const consumer = conf.anonymousConsumer;
  if (consumer === null) {
    const message = `anonymous consumer ${conf.anonymous} is configured but doesn't exist`;
    kong.log.err(message);
    kong.response.error(500, message);
    return false;
  }
  kong.client.authenticate(consumer, null);
  setConsumerHeaders(kong, consumer, null, true);
  return true;
}
