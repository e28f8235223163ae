/** `tollgate ingress-controller` arguments, and the Kubernetes connection they (or the environment) select. */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { inClusterConnection, kubeconfigConnection, type KubeConnection } from './kube-client.ts';

export interface ControllerArgs {
  kubeconfig: string | null;
  ingressClass: string;
  adminUrls: string[];
  gatewaySelector: string | null;
  gatewayNamespace: string | null;
  gatewayAdminPort: number;
  publishService: { namespace: string; name: string } | null;
  leaderElect: boolean;
  electionId: string;
  electionNamespace: string;
  leaseDurationSeconds: number;
  statusListen: { host: string; port: number } | null;
  debounceMs: number;
  resyncMs: number;
}

export const CONTROLLER_USAGE = `Usage: tollgate ingress-controller [OPTIONS]

Watches Ingress, Gateway API and Kong's custom resources through the Kubernetes API, translates them as
'tollgate k8s translate' does, and applies the result to DB-less gateways (POST /config) whenever it changes.

Options:
  --kubeconfig FILE              kubeconfig to use (default: KUBECONFIG, else the pod's service account)
  --ingress-class NAME           ingress class to answer for (default: the ingress_class setting, 'kong')
  --admin-url URL                a gateway's Admin API (repeatable)
  --gateway-selector LABELS      find gateway pods by label selector (e.g. app=tollgate)
  --gateway-namespace NS         namespace of those pods (default: POD_NAMESPACE, else every namespace)
  --gateway-admin-port PORT      Admin API port of those pods (default: 8001)
  --publish-service NS/NAME      Service whose LoadBalancer addresses go into Ingress status
  --leader-elect true|false      elect one applying instance through a Lease (default: true)
  --election-id NAME             the Lease's name (default: tollgate-ingress-controller-leader)
  --election-namespace NS        the Lease's namespace (default: POD_NAMESPACE, else 'default')
  --lease-duration SECONDS       how long a lease lasts without renewal (default: 15)
  --status-listen ADDR|off       /status/ready, /status and /metrics (default: 0.0.0.0:10254)
  --sync-debounce-ms MS          quiet time after a change before translating (default: 250)
  --resync-ms MS                 retry period for failed applies and new gateways (default: 10000)
`;

function listenOf(value: string): { host: string; port: number } | null | string {
  if (value === 'off') return null;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  if (m === null || Number(m[3]) > 65535) return `--status-listen must be HOST:PORT or off, not '${value}'`;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port: Number(m[3]) };
}

export function parseControllerArgs(argv: readonly string[], defaultClass: string, env: NodeJS.ProcessEnv = process.env): ControllerArgs | string {
  const podNamespace = env.POD_NAMESPACE || null;
  const out: ControllerArgs = {
    kubeconfig: env.KUBECONFIG || null,
    ingressClass: defaultClass,
    adminUrls: [],
    gatewaySelector: null,
    gatewayNamespace: podNamespace,
    gatewayAdminPort: 8001,
    publishService: null,
    leaderElect: true,
    electionId: 'tollgate-ingress-controller-leader',
    electionNamespace: podNamespace ?? 'default',
    leaseDurationSeconds: 15,
    statusListen: { host: '0.0.0.0', port: 10254 },
    debounceMs: 250,
    resyncMs: 10_000,
  };
  const positive = (name: string, v: string): number | string => {
    const n = Number(v);
    return Number.isInteger(n) && n > 0 ? n : `${name} must be a positive integer, not '${v}'`;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq !== -1 ? a.slice(0, eq) : a;
    const value = (): string | null => (eq !== -1 && a.startsWith('--') ? a.slice(eq + 1) : (argv[++i] ?? null));
    const v = value();
    if (v === null) return `${name} needs a value`;
    let n: number | string;
    switch (name) {
      case '--kubeconfig': out.kubeconfig = v; break;
      case '--ingress-class': out.ingressClass = v; break;
      case '--admin-url': out.adminUrls.push(v); break;
      case '--gateway-selector': out.gatewaySelector = v; break;
      case '--gateway-namespace': out.gatewayNamespace = v; break;
      case '--gateway-admin-port':
        if (typeof (n = positive(name, v)) === 'string') return n;
        out.gatewayAdminPort = n;
        break;
      case '--publish-service': {
        const [ns, svc, extra] = v.split('/');
        if (!ns || !svc || extra !== undefined) return `--publish-service must be NAMESPACE/NAME, not '${v}'`;
        out.publishService = { namespace: ns, name: svc };
        break;
      }
      case '--leader-elect':
        if (v !== 'true' && v !== 'false') return `--leader-elect must be true or false, not '${v}'`;
        out.leaderElect = v === 'true';
        break;
      case '--election-id': out.electionId = v; break;
      case '--election-namespace': out.electionNamespace = v; break;
      case '--lease-duration':
        if (typeof (n = positive(name, v)) === 'string') return n;
        out.leaseDurationSeconds = n;
        break;
      case '--status-listen': {
        const l = listenOf(v);
        if (typeof l === 'string') return l;
        out.statusListen = l;
        break;
      }
      case '--sync-debounce-ms':
        if (typeof (n = positive(name, v)) === 'string') return n;
        out.debounceMs = n;
        break;
      case '--resync-ms':
        if (typeof (n = positive(name, v)) === 'string') return n;
        out.resyncMs = n;
        break;
      default:
        return `unknown argument '${a}'`;
    }
  }
  return out;
}

/** kubeconfig when given, else the pod's service account. */
export function connectionFor(kubeconfig: string | null, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  if (kubeconfig !== null) return kubeconfigConnection(kubeconfig);
  const inCluster = inClusterConnection(env);
  if (inCluster === null) throw new Error('not in a cluster (no service account token or KUBERNETES_SERVICE_HOST); give --kubeconfig or KUBECONFIG');
  return inCluster;
}

/** This instance's name in the Lease: the pod's name when known. */
export function instanceIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
}
