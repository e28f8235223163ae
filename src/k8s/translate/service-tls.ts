/**
 * The Kubernetes Service annotations that reach past the Kong service, KIC's way: `konghq.com/host-header` (the
 * upstream's `host_header`), `konghq.com/client-cert` (a `kubernetes.io/tls` Secret presented to the upstream:
 * a certificate whose id is the Secret's uid, named in `client_certificate`) and
 * `konghq.com/ca-certificates-secrets` (the `id` keys of CA Secrets, trusted through `ca_certificates`; KIC
 * requires `konghq.com/tls-verify: "true"`). Secrets labelled `konghq.com/ca-cert: "true"` become CA certificates.
 */
import { createHash } from 'node:crypto';
import { validateEntity } from '../../entities/index.ts';
import type { K8sObject } from '../objects.ts';
import { PREFIX } from './annotations.ts';
import { secretData, tagsFor, type Entity, type KongService, type TranslationState } from './state.ts';

const TLS_PROTOCOLS = new Set(['https', 'grpcs', 'tls', 'wss']);
const CA_CERT_LABEL = 'konghq.com/ca-cert';

/** KIC identifies a Secret's certificate by the Secret's uid; manifests without one get a stable UUID of the name. */
export function secretEntityId(secret: K8sObject): string {
  if (secret.metadata.uid !== undefined && /^[0-9a-f-]{36}$/i.test(secret.metadata.uid)) return secret.metadata.uid;
  const h = createHash('sha256').update(`Secret/${secret.metadata.namespace}/${secret.metadata.name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The certificate made of a `kubernetes.io/tls` Secret (once, shared by every user), or a reason it cannot be. */
export function certificateFor(state: TranslationState, secret: K8sObject): (Entity & { snis: Entity[] }) | string {
  const key = `${secret.metadata.namespace}/${secret.metadata.name}`;
  const existing = state.certificates.get(key);
  if (existing !== undefined) return existing;
  const data = secretData(secret);
  if (data['tls.crt'] === undefined || data['tls.key'] === undefined) return `Secret ${key} has no tls.crt and tls.key`;
  const certificate = { id: secretEntityId(secret), cert: data['tls.crt'].trim(), key: data['tls.key'].trim(), tags: tagsFor(secret), snis: [] as Entity[] };
  state.certificates.set(key, certificate);
  return certificate;
}

/** `konghq.com/host-header` of a Kubernetes Service, if set. */
export function hostHeaderOf(service: K8sObject): string | undefined {
  const value = service.metadata.annotations[`${PREFIX}host-header`]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function names(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Applies `client-cert` and `ca-certificates-secrets` of `owner` to `kong` (after its protocol is final). */
export function applyServiceTls(state: TranslationState, owner: K8sObject, kong: KongService): void {
  const a = owner.metadata.annotations;
  const ns = owner.metadata.namespace;
  const protocol = String(kong.protocol ?? 'http');
  const clientCert = a[`${PREFIX}client-cert`]?.trim();
  if (clientCert !== undefined && clientCert !== '') {
    const secret = state.find('Secret', ns, clientCert);
    if (secret === undefined) state.report(owner, `annotation ${PREFIX}client-cert: Secret ${ns}/${clientCert} is not in the input; ignored`);
    else if (!TLS_PROTOCOLS.has(protocol)) state.report(owner, `annotation ${PREFIX}client-cert: client certificate requested for incompatible service protocol '${protocol}'; ignored`);
    else {
      const certificate = certificateFor(state, secret);
      if (typeof certificate === 'string') state.report(owner, `annotation ${PREFIX}client-cert: ${certificate}; ignored`);
      else kong.client_certificate = { id: certificate.id as string };
    }
  }
  const caSecrets = names(a[`${PREFIX}ca-certificates-secrets`]);
  if (caSecrets.length === 0) return;
  const bad = (why: string): void => state.report(owner, `annotation ${PREFIX}ca-certificates-secrets: ${why}`);
  if (a[`${PREFIX}tls-verify`]?.trim().toLowerCase() !== 'true') return bad('CA certificates requested for a service without TLS verification enabled (konghq.com/tls-verify: "true"); ignored');
  if (!TLS_PROTOCOLS.has(protocol)) return bad(`CA certificates requested for incompatible service protocol '${protocol}'; ignored`);
  const ids: string[] = [];
  for (const name of caSecrets) {
    const secret = state.find('Secret', ns, name);
    if (secret === undefined) {
      bad(`Secret ${ns}/${name} is not in the input; skipped`);
      continue;
    }
    const id = secretData(secret).id?.trim();
    if (id === undefined || id === '') bad(`Secret ${ns}/${name} has no 'id' key; skipped`);
    else ids.push(id);
  }
  if (ids.length > 0) kong.ca_certificates = ids;
}

/** Secrets labelled `konghq.com/ca-cert: "true"` as CA certificates, keyed by their `id` (the first name wins a clash). */
export function translateCaCertificates(state: TranslationState): void {
  const labelled = state.all('Secret').filter((s) => s.metadata.labels[CA_CERT_LABEL] === 'true')
    .sort((x, y) => `${x.metadata.namespace}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.metadata.name}`));
  for (const secret of labelled) {
    const data = secretData(secret);
    const id = data.id?.trim();
    if (id === undefined || id === '') {
      state.report(secret, "CA certificate Secret has no 'id' key; skipped");
      continue;
    }
    if (state.caCertificates.has(id)) {
      state.report(secret, `CA certificate id ${id} is already used by another Secret; skipped`);
      continue;
    }
    const cert = (data.cert ?? data['ca.crt'])?.trim();
    if (cert === undefined) {
      state.report(secret, "CA certificate Secret has neither a 'cert' nor a 'ca.crt' key; skipped");
      continue;
    }
    const entity = { id, cert, tags: tagsFor(secret) };
    const checked = validateEntity('ca_certificates', entity);
    if (!checked.ok) state.report(secret, `CA certificate: ${JSON.stringify(checked.errors)}; skipped`);
    else state.caCertificates.set(id, entity);
  }
}
