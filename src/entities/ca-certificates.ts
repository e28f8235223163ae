/**
 * CA certificates: trust anchors for verifying upstream servers (services' `ca_certificates`) and clients.
 * Each must be a single, unexpired certificate with the CA basic constraint; `cert_digest` identifies it.
 */
import { defineEntity, typedefs, type EntityType, type EntityView } from '../schema/index.ts';
import { parseCertificate } from './pem.ts';

const CERT_TAG = '-----BEGIN CERTIFICATE-----';

function checkCaCertificate(entity: EntityView): string | null {
  const pem = entity.cert as string;
  const first = pem.indexOf(CERT_TAG);
  if (first >= 0 && pem.indexOf(CERT_TAG, first + CERT_TAG.length + 1) >= 0) {
    return 'please submit only one certificate at a time';
  }
  const cert = parseCertificate(pem);
  if (!cert) return null;
  if (new Date(cert.validTo).getTime() < Date.now()) {
    return 'certificate expired, "Not After" time is in the past';
  }
  if (!cert.ca) {
    return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';
  }
  return null;
}

export const caCertificatesSchema = defineEntity({
  name: 'ca_certificates',
  primary_key: ['id'],
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    cert: { ...typedefs.certificate, required: true },
    cert_digest: { type: 'string', unique: true, description: 'SHA-256 of the certificate (computed).' },
    tags: typedefs.tags,
  },
  entity_checks: [{ custom_entity_check: { field_sources: ['cert'], fn: checkCaCertificate } }],
});

export type CaCertificate = EntityType<typeof caCertificatesSchema>;
