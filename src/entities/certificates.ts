/**
 * Certificates: a PEM certificate and its private key (plus an optional alternative pair of another key
 * type, e.g. ECDSA next to RSA), served for the SNIs that point to it.
 */
import { defineEntity, typedefs, type EntityType, type EntityView } from '../schema/index.ts';
import { certificateKeyType, keyMatchesCertificate } from './pem.ts';

function mainPairMatches(entity: EntityView): string | null {
  return keyMatchesCertificate(entity.cert as string, entity.key as string) ? null : 'certificate does not match key';
}

function alternativePairMatches(entity: EntityView): string | null {
  if (typeof entity.cert_alt !== 'string' || typeof entity.key_alt !== 'string') return null;
  return keyMatchesCertificate(entity.cert_alt, entity.key_alt) ? null : 'alternative certificate does not match key';
}

function pairsDifferInKeyType(entity: EntityView): string | null {
  if (typeof entity.cert !== 'string' || typeof entity.cert_alt !== 'string') return null;
  if (certificateKeyType(entity.cert) !== certificateKeyType(entity.cert_alt)) return null;
  return (
    'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
    'the provided certificates were both of the same type'
  );
}

export const certificatesSchema = defineEntity({
  name: 'certificates',
  primary_key: ['id'],
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    cert: { ...typedefs.certificate, required: true, referenceable: true },
    key: { ...typedefs.key, required: true, referenceable: true, encrypted: true },
    cert_alt: { ...typedefs.certificate, required: false, referenceable: true },
    key_alt: { ...typedefs.key, required: false, referenceable: true, encrypted: true },
    tags: typedefs.tags,
    snis: {
      type: 'array',
      elements: typedefs.wildcard_host,
      required: false,
      transient: true,
      description: 'Server names to create SNIs for (input only).',
    },
  },
  entity_checks: [
    { mutually_required: ['cert_alt', 'key_alt'] },
    { custom_entity_check: { field_sources: ['cert', 'key'], fn: mainPairMatches } },
    { custom_entity_check: { field_sources: ['cert_alt', 'key_alt'], fn: alternativePairMatches } },
    { custom_entity_check: { field_sources: ['cert', 'cert_alt'], fn: pairsDifferInKeyType } },
  ],
});

export type Certificate = EntityType<typeof certificatesSchema>;
