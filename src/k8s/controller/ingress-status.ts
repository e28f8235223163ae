/**
 * Ingress `status.loadBalancer` from the publish Service's LoadBalancer addresses (KIC's `--publish-service`),
 * written through the status subresource only where it differs.
 */
import type { K8sObject } from '../objects.ts';
import type { KubeClient } from './kube-client.ts';

type LbIngress = { ip?: string; hostname?: string; ports?: unknown[] };

/** The Service's `status.loadBalancer.ingress`, as Ingress status entries. */
export function publishedAddresses(service: K8sObject | undefined): LbIngress[] {
  const status = service?.raw.status as { loadBalancer?: { ingress?: unknown } } | undefined;
  const list = status?.loadBalancer?.ingress;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    if (entry === null || typeof entry !== 'object') return [];
    const e = entry as Record<string, unknown>;
    const out: LbIngress = {};
    if (typeof e.ip === 'string') out.ip = e.ip;
    if (typeof e.hostname === 'string') out.hostname = e.hostname;
    if (Array.isArray(e.ports)) out.ports = e.ports;
    return out.ip === undefined && out.hostname === undefined ? [] : [out];
  });
}

export async function updateIngressStatus(client: KubeClient, ingresses: readonly K8sObject[], addresses: LbIngress[], log: (level: 'warn', message: string) => void): Promise<number> {
  let patched = 0;
  const wanted = JSON.stringify(addresses);
  for (const ingress of ingresses) {
    const current = (ingress.raw.status as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress ?? [];
    if (JSON.stringify(current) === wanted) continue;
    const { namespace, name } = ingress.metadata;
    try {
      await client.request('PATCH', `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}/status`,
        { status: { loadBalancer: { ingress: addresses } } }, 'application/merge-patch+json');
      patched++;
    } catch (err) {
      log('warn', `could not update the status of Ingress ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
  return patched;
}
