/**
 * `tollgate ingress-controller [OPTIONS]`: the Kubernetes ingress controller on its own, applying to DB-less
 * gateways through their Admin API.
 */
import { loadSettings } from '../config/index.ts';
import { registerPlugins } from '../entities/index.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';
import { AdminApplier, podTargets } from '../k8s/controller/appliers.ts';
import { IngressController } from '../k8s/controller/controller.ts';
import { KubeClient } from '../k8s/controller/kube-client.ts';
import { CONTROLLER_USAGE, connectionFor, instanceIdentity, parseControllerArgs } from '../k8s/controller/options.ts';
import { startControllerStatusServer } from '../k8s/controller/status-server.ts';

function log(level: string, message: string): void {
  process.stderr.write(`${new Date().toISOString()} [${level}] ingress-controller: ${message}\n`);
}

export async function runIngressController(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(CONTROLLER_USAGE);
    return 0;
  }
  const settings = loadSettings({});
  const args = parseControllerArgs(argv, settings.ingress_class);
  if (typeof args === 'string') {
    process.stderr.write(`Error: ${args}\n\n${CONTROLLER_USAGE}`);
    return 1;
  }
  if (args.adminUrls.length === 0 && args.gatewaySelector === null) {
    process.stderr.write(`Error: no gateways: give --admin-url URL or --gateway-selector LABELS\n\n${CONTROLLER_USAGE}`);
    return 1;
  }
  let client: KubeClient;
  try {
    client = new KubeClient(connectionFor(args.kubeconfig));
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  // The node's `plugins` setting (and plugin_paths) decide which plugins the gateways have.
  const loaded = await loadNodePlugins(settings);
  registerPlugins(loaded.enabled);
  const discover = args.gatewaySelector === null ? null : podTargets(client, args.gatewayNamespace, args.gatewaySelector, args.gatewayAdminPort);
  const applier = new AdminApplier(async () => [...args.adminUrls, ...(discover === null ? [] : await discover())]);
  const controller = new IngressController({
    client,
    ingressClass: args.ingressClass,
    plugins: loaded.registry,
    applier,
    debounceMs: args.debounceMs,
    resyncMs: args.resyncMs,
    publishService: args.publishService,
    election: args.leaderElect
      ? { namespace: args.electionNamespace, name: args.electionId, identity: instanceIdentity(), durationSeconds: args.leaseDurationSeconds, retryMs: Math.max(1000, Math.floor((args.leaseDurationSeconds * 1000) / 5)) }
      : null,
    log,
  });
  let server = null;
  if (args.statusListen !== null) {
    try {
      server = await startControllerStatusServer(controller, args.statusListen.host, args.statusListen.port);
    } catch (err) {
      process.stderr.write(`Error: could not listen on ${args.statusListen.host}:${args.statusListen.port}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  controller.start();
  log('info', `started (ingress class '${args.ingressClass}')`);
  return new Promise<number>((resolveExit) => {
    const stop = (): void => {
      void controller.stop().then(() => {
        server?.close();
        resolveExit(0);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
