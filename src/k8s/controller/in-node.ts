/**
 * `ingress_controller = on`: the controller inside a control plane or traditional node. With a database it
 * replaces the store's content (so data planes get deltas as for any Admin API change); DB-less, it loads the
 * configuration the way `POST /config` does.
 */
import type { ConfigLoadOutcome, ConfigLoadRequest } from '../../admin/context.ts';
import type { Settings } from '../../config/settings-types.ts';
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import type { Store } from '../../store/index.ts';
import { LocalApplier, StoreApplier } from './appliers.ts';
import { IngressController, type ControllerLog } from './controller.ts';
import { KubeClient } from './kube-client.ts';
import { connectionFor, instanceIdentity } from './options.ts';

export interface HostNode {
  settings: Settings;
  store: Store | null;
  loadConfig(request: ConfigLoadRequest): Promise<ConfigLoadOutcome>;
  addStopHook(hook: () => Promise<void> | void): void;
  addMetricsSource(source: () => string): void;
}

export function startNodeIngressController(node: HostNode, plugins: PluginSchemaRegistry, log: ControllerLog, env: NodeJS.ProcessEnv = process.env): IngressController {
  const client = new KubeClient(connectionFor(env.KUBECONFIG || null, env));
  const namespace = env.POD_NAMESPACE || 'default';
  const controller = new IngressController({
    client,
    ingressClass: node.settings.ingress_class,
    plugins,
    applier: node.store !== null ? new StoreApplier(node.store) : new LocalApplier((r) => node.loadConfig(r)),
    debounceMs: 250,
    resyncMs: 10_000,
    publishService: null,
    election: { namespace, name: 'tollgate-ingress-controller-leader', identity: instanceIdentity(env), durationSeconds: 15, retryMs: 3_000 },
    log,
  });
  node.addMetricsSource(() => controller.metrics.render());
  node.addStopHook(() => controller.stop());
  controller.start();
  return controller;
}
