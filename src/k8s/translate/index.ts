/**
 * Kubernetes resources → one declarative configuration, as Kong's Ingress Controller would produce it.
 * Resources of another ingress class are ignored; what cannot be translated is reported (one line per
 * resource) and skipped, never blocking the rest.
 */
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { loadDeclarative } from '../../declarative/index.ts';
import { routerFlavorInUse, type RoutesSchemaFlavor } from '../../entities/index.ts';
import type { K8sObject } from '../objects.ts';
import { translateConsumers } from './consumers.ts';
import { translateGatewayApi } from './gateway-api.ts';
import { translateIngresses } from './ingress.ts';
import { translateStreamResources } from './stream-resources.ts';
import { attachPlugins, globalPlugins } from './plugins.ts';
import { translateCaCertificates } from './service-tls.ts';
import { TranslationState } from './state.ts';

export interface TranslateOptions {
  /** The ingress class this gateway answers for (KIC's `--ingress-class`, default `kong`). */
  ingressClass: string;
  /** The plugins the gateway has: others are reported. */
  plugins: PluginSchemaRegistry;
  /** The gateways' `router_flavor` (default: the one this process runs with): `expressions` gets KIC's expression routes for HTTPRoutes. */
  routerFlavor?: RoutesSchemaFlavor;
}

export interface Translation {
  /** A declarative configuration (`_format_version: "3.0"`). */
  config: Record<string, unknown>;
  /** `Kind namespace/name: reason` for everything left out. */
  problems: string[];
}

const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * Whether an object belongs to `ingressClass`. Ingresses name it in spec.ingressClassName or the annotation (or
 * have none while their class is the cluster's default); Kong's other resources that KIC filters (KongConsumer,
 * KongClusterPlugin, KongConsumerGroup) need the annotation.
 */
export function classFilter(objects: readonly K8sObject[], ingressClass: string): (o: K8sObject) => boolean {
  const ingressClassObject = objects.find((o) => o.kind === 'IngressClass' && o.metadata.name === ingressClass);
  const isDefault = ingressClassObject?.metadata.annotations['ingressclass.kubernetes.io/is-default-class'] === 'true';
  return (o) => {
    const annotation = o.metadata.annotations[CLASS_ANNOTATION];
    if (o.kind === 'Ingress') {
      const spec = (o.raw.spec ?? {}) as Record<string, unknown>;
      const named = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : annotation;
      return named === undefined ? isDefault : named === ingressClass;
    }
    return annotation === ingressClass;
  };
}

export function translate(objects: readonly K8sObject[], options: TranslateOptions): Translation {
  const state = new TranslationState(objects);
  const inClass = classFilter(objects, options.ingressClass);
  translateCaCertificates(state);
  translateConsumers(state, options.plugins, inClass);
  translateIngresses(state, options.plugins, inClass);
  translateGatewayApi(state, options.plugins, (options.routerFlavor ?? routerFlavorInUse()) === 'expressions');
  translateStreamResources(state, inClass);
  for (const [name, owner] of state.serviceOwners) attachPlugins(state, owner, { service: name }, options.plugins);
  globalPlugins(state, options.plugins, inClass);

  const config: Record<string, unknown> = { _format_version: '3.0' };
  const byName = <T extends { name?: unknown }>(list: T[]): T[] => list.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (state.services.size > 0) config.services = byName([...state.services.values()]);
  if (state.upstreams.size > 0) config.upstreams = byName([...state.upstreams.values()]);
  if (state.consumers.size > 0) config.consumers = [...state.consumers.values()];
  if (state.consumerGroups.size > 0) config.consumer_groups = byName([...state.consumerGroups.values()]);
  if (state.memberships.length > 0) config.consumer_group_consumers = state.memberships;
  if (state.certificates.size > 0) config.certificates = [...state.certificates.values()];
  if (state.caCertificates.size > 0) config.ca_certificates = [...state.caCertificates.values()];
  if (state.plugins.length > 0) config.plugins = state.plugins;

  // The output must load: anything the loader refuses is a translation bug, reported rather than printed broken.
  const loaded = loadDeclarative(config, { plugins: options.plugins });
  if (!loaded.ok) state.problems.push(`the translated configuration does not load: ${loaded.error.message}`);
  return { config, problems: state.problems };
}
