/**
 * Translation problems as Kubernetes Events on the resource they are about (reason `TranslationFailed`), the
 * way KIC reports them; each distinct problem is posted once while it lasts.
 */
import type { KubeClient } from './kube-client.ts';
import { WATCHED_KINDS, apiVersionOf } from './resources.ts';

export interface ProblemRef {
  kind: string;
  namespace: string;
  name: string;
  message: string;
}

/** `Kind namespace/name: reason` (the translator's problem lines) → the object it names; null for others. */
export function parseProblem(line: string): ProblemRef | null {
  const m = /^([A-Za-z]+) ([^/\s]+)\/([^:\s]+): (.*)$/s.exec(line);
  if (m === null) return null;
  return { kind: m[1], namespace: m[2], name: m[3], message: m[4] };
}

export class EventRecorder {
  #posted = new Set<string>();

  readonly #client: KubeClient;
  readonly #component: string;
  readonly #log: (level: 'warn', message: string) => void;

  constructor(client: KubeClient, component: string, log: (level: 'warn', message: string) => void) {
    this.#client = client;
    this.#component = component;
    this.#log = log;
  }

  /** Posts an Event for every new problem; problems gone since the last call can be reported again later. */
  async record(problems: readonly string[], uidOf: (kind: string, namespace: string, name: string) => string | undefined): Promise<void> {
    const current = new Set(problems);
    for (const line of problems) {
      if (this.#posted.has(line)) continue;
      const ref = parseProblem(line);
      if (ref === null) continue;
      const resource = WATCHED_KINDS.find((k) => k.kind === ref.kind);
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const eventNamespace = ref.namespace === '' ? 'default' : ref.namespace;
      const uid = uidOf(ref.kind, ref.namespace, ref.name);
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${ref.name}.`, namespace: eventNamespace },
        involvedObject: {
          kind: ref.kind, namespace: ref.namespace, name: ref.name,
          ...(resource === undefined ? {} : { apiVersion: apiVersionOf(resource) }),
          ...(uid === undefined ? {} : { uid }),
        },
        reason: 'TranslationFailed',
        message: ref.message,
        type: 'Warning',
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      try {
        await this.#client.request('POST', `/api/v1/namespaces/${eventNamespace}/events`, event);
        this.#posted.add(line);
      } catch (err) {
        this.#log('warn', `could not post an Event for ${ref.kind} ${ref.namespace}/${ref.name}: ${(err as Error).message}`);
      }
    }
    for (const line of this.#posted) if (!current.has(line)) this.#posted.delete(line);
  }
}
