/**
 * The TLS policy every `ssl` listener (proxy, stream, Admin API, Status API, Kong Manager) serves with, from
 * Kong's `ssl_cipher_suite` and friends. Kong maps a suite name to Mozilla's server-side TLS profile (v5.7):
 * versions, ciphers, cipher order and DH parameters; only `custom` reads `ssl_protocols`, `ssl_ciphers`,
 * `ssl_prefer_server_ciphers` and `ssl_dhparam`. Computed once per process (the DH group needs the openssl
 * command) and passed to workers as plain JSON.
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import { readPem } from '../config/value-parsers.ts';
import type { SettingValues, SslCipherSuite } from '../config/settings-types.ts';

/** Node TLS server options (all JSON values). */
export interface ListenerTlsPolicy {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list, TLSv1.3 suites included; null keeps Node's default. */
  ciphers: string | null;
  honorCipherOrder: boolean;
  /** PEM DH parameters enabling DHE ciphers, or null (none). */
  dhparam: string | null;
  /** Seconds a session (ticket) may be resumed. */
  sessionTimeout: number;
  /** OpenSSL option bits: SSL_OP_NO_TICKET when tickets are off. */
  secureOptions: number;
}

/** The TLSv1.3 suites: nginx's `ssl_ciphers` leaves them alone, while Node's `ciphers` would drop them unless listed. */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

const MOZILLA_INTERMEDIATE = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
];
const MOZILLA_OLD = [
  ...MOZILLA_INTERMEDIATE,
  'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-RSA-AES256-SHA', 'DHE-RSA-AES128-SHA256', 'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA256', 'AES256-SHA256', 'AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA',
];

interface Suite {
  protocols: readonly SecureVersion[];
  ciphers: string | null;
  honorCipherOrder: boolean;
  /** 'keep' leaves `ssl_dhparam` in force (Kong's `old` and `fips`). */
  dhparam: string | null | 'keep';
}

const SUITES: Record<Exclude<SslCipherSuite, 'custom'>, Suite> = {
  modern: { protocols: ['TLSv1.3'], ciphers: null, honorCipherOrder: false, dhparam: null },
  intermediate: { protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: MOZILLA_INTERMEDIATE.join(':'), honorCipherOrder: false, dhparam: 'ffdhe2048' },
  // OpenSSL 3 refuses TLSv1 and TLSv1.1 (and SHA-1 signatures) above security level 0: Kong lowers it for `old` too.
  old: { protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], ciphers: `${MOZILLA_OLD.join(':')}:@SECLEVEL=0`, honorCipherOrder: true, dhparam: 'keep' },
  fips: { protocols: ['TLSv1.2'], ciphers: 'TLSv1.2+FIPS:kRSA+FIPS:!eNULL:!aNULL', honorCipherOrder: true, dhparam: 'keep' },
};

const VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

type TlsSettings = Pick<
  SettingValues,
  'ssl_cipher_suite' | 'ssl_ciphers' | 'ssl_protocols' | 'ssl_prefer_server_ciphers' | 'ssl_dhparam' | 'ssl_session_tickets' | 'ssl_session_timeout'
>;

/** The policy the settings describe. */
export function listenerTlsPolicy(settings: TlsSettings): ListenerTlsPolicy {
  const suite: Suite = settings.ssl_cipher_suite === 'custom'
    ? {
      protocols: settings.ssl_protocols.split(' ') as SecureVersion[],
      ciphers: settings.ssl_ciphers,
      honorCipherOrder: settings.ssl_prefer_server_ciphers,
      dhparam: 'keep',
    }
    : SUITES[settings.ssl_cipher_suite];
  // Node takes a range of versions; a gap in `ssl_protocols` (TLSv1 TLSv1.2) is closed, as OpenSSL's range is.
  const listed = VERSION_ORDER.filter((v) => suite.protocols.includes(v));
  const dh = suite.dhparam === 'keep' ? settings.ssl_dhparam : suite.dhparam;
  return {
    minVersion: listed[0] ?? 'TLSv1.2',
    maxVersion: listed[listed.length - 1] ?? 'TLSv1.3',
    ciphers: suite.ciphers === null ? null : withTls13Suites(suite.ciphers),
    honorCipherOrder: suite.honorCipherOrder,
    dhparam: dh === null ? null : dhParametersPem(dh),
    sessionTimeout: Math.max(1, Math.ceil(settings.ssl_session_timeout)),
    secureOptions: settings.ssl_session_tickets ? 0 : constants.SSL_OP_NO_TICKET,
  };
}

/** The list with the TLSv1.3 suites added in front when it names none (`@SECLEVEL` stays last). */
function withTls13Suites(ciphers: string): string {
  return ciphers.split(':').some((c) => c.startsWith('TLS_')) ? ciphers : `${TLS13_SUITES}:${ciphers}`;
}

const groupCache = new Map<string, string>();

/** PEM DH parameters for an ffdhe group name (from openssl, once per process), a file, or PEM text. */
function dhParametersPem(value: string): string {
  if (!value.startsWith('ffdhe')) return readPem(value);
  let pem = groupCache.get(value);
  if (pem === undefined) {
    pem = execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${value}`], { encoding: 'utf8', stdio: 'pipe' });
    groupCache.set(value, pem);
  }
  return pem;
}

/** The options for `tls.createServer`/`https.createServer`/`http2.createSecureServer`. */
export function serverTlsOptions(policy: ListenerTlsPolicy): {
  minVersion: SecureVersion; maxVersion: SecureVersion; ciphers?: string; honorCipherOrder: boolean; dhparam?: string; sessionTimeout: number; secureOptions: number;
} {
  return {
    minVersion: policy.minVersion,
    maxVersion: policy.maxVersion,
    ...(policy.ciphers === null ? {} : { ciphers: policy.ciphers }),
    honorCipherOrder: policy.honorCipherOrder,
    ...(policy.dhparam === null ? {} : { dhparam: policy.dhparam }),
    sessionTimeout: policy.sessionTimeout,
    secureOptions: policy.secureOptions,
  };
}
