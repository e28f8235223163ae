/** Writes the Gateway API status computed by gateway-status.ts through each object's status subresource. */
import type { K8sObject } from '../objects.ts';
import { gatewayApiStatus, statusPatches } from './gateway-status.ts';
import type { KubeClient } from './kube-client.ts';
import { WATCHED_KINDS } from './resources.ts';

function statusPath(kind: string, namespace: string | null, name: string): string {
  const r = WATCHED_KINDS.find((k) => k.kind === kind);
  if (r === undefined) throw new Error(`no resource for ${kind}`);
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope = namespace === null ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${scope}/${r.plural}/${encodeURIComponent(name)}/status`;
}

/** RFC 3339 in whole seconds, as metav1.Time serializes. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function writeGatewayApiStatus(
  client: KubeClient,
  objects: readonly K8sObject[],
  state: { addresses: readonly { ip?: string; hostname?: string }[]; programmed: boolean },
  log: (level: 'warn', message: string) => void,
): Promise<number> {
  const updates = statusPatches(objects, gatewayApiStatus({ objects, ...state, now: nowRfc3339() }));
  let written = 0;
  for (const u of updates) {
    const path = statusPath(u.kind, u.namespace, u.name);
    try {
      await client.request('PATCH', path, u.patch, 'application/merge-patch+json');
      written++;
    } catch (err) {
      log('warn', `could not update the status of ${u.kind} ${u.namespace === null ? '' : `${u.namespace}/`}${u.name}: ${(err as Error).message}`);
    }
  }
  return written;
}
