/**
 * The certificates the proxy serves by TLS server name (the `certificates` and `snis` entities), compiled
 * with the configuration: a handshake costs at most four map lookups.
 *
 * The order is Kong's: the exact name; the name with its first label replaced by `*` (`a.example.com` →
 * `*.example.com`, only when two labels remain); the name with its last label replaced by `*`
 * (`a.example.com` → `a.example.*`); then the SNI `*`, which names a default certificate for names nothing
 * else matched. When none applies, or the client sends no name, the listener's own certificate (`ssl_cert`,
 * or the generated one) is served.
 */
import { createSecureContext, type SecureContext } from 'node:tls';

export interface CertificateFields {
  id: string;
  cert: string;
  key: string;
  cert_alt?: string | null;
  key_alt?: string | null;
}

export interface SniFields {
  name: string;
  certificate: { id: string };
}

/** One compiled certificate, kept with the PEM it came from so that the next configuration can reuse it. */
interface CompiledCertificate {
  readonly source: string;
  readonly context: SecureContext;
}

/** The PEM material a context is made from, as one comparable string. */
function sourceOf(c: CertificateFields): string {
  return `${c.cert}\n${c.key}\n${c.cert_alt ?? ''}\n${c.key_alt ?? ''}`;
}

const PREFIX_WILDCARD = /^[^.]+(\.[^.]+\..+)$/;
const SUFFIX_WILDCARD = /^(.+\.)[^.]+$/;

export class ServerCertificates {
  static readonly EMPTY = new ServerCertificates(new Map(), new Map());

  /** Compiled contexts by certificate id (also what the next configuration may reuse). */
  readonly #byId: ReadonlyMap<string, CompiledCertificate>;
  readonly #byName: ReadonlyMap<string, SecureContext>;

  private constructor(byId: ReadonlyMap<string, CompiledCertificate>, byName: ReadonlyMap<string, SecureContext>) {
    this.#byId = byId;
    this.#byName = byName;
  }

  /**
   * Compiles the configuration's certificates, reusing from `previous` every context whose PEM did not
   * change, so that a reload compiles only what changed. A certificate Node cannot load is left out and
   * reported through `onError`; its names then get the default certificate.
   */
  static build(
    certificates: readonly CertificateFields[],
    snis: readonly SniFields[],
    previous: ServerCertificates | null,
    onError: (certificateId: string, error: Error) => void = () => {},
  ): ServerCertificates {
    if (snis.length === 0) return ServerCertificates.EMPTY;
    const certificatesById = new Map(certificates.map((c) => [c.id, c]));
    const byId = new Map<string, CompiledCertificate>();
    const byName = new Map<string, SecureContext>();
    for (const sni of snis) {
      const id = sni.certificate.id;
      let compiled = byId.get(id);
      if (compiled === undefined) {
        const certificate = certificatesById.get(id);
        if (certificate === undefined) continue;
        const source = sourceOf(certificate);
        const reused = previous === null ? undefined : previous.#byId.get(id);
        if (reused !== undefined && reused.source === source) {
          compiled = reused;
        } else {
          try {
            compiled = { source, context: createContext(certificate) };
          } catch (error) {
            onError(id, error instanceof Error ? error : new Error(String(error)));
            continue;
          }
        }
        byId.set(id, compiled);
      }
      byName.set(sni.name.toLowerCase(), compiled.context);
    }
    return new ServerCertificates(byId, byName);
  }

  /** Certificates compiled (for logs and tests). */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * The context to serve for `servername`, or undefined for the listener's default certificate (also
   * when the client sent no name, as in Kong: the SNI `*` only answers names nothing else matched).
   */
  contextFor(servername: string): SecureContext | undefined {
    const byName = this.#byName;
    if (byName.size === 0 || servername === '') return undefined;
    const name = servername.toLowerCase();
    const exact = byName.get(name);
    if (exact !== undefined) return exact;
    const prefix = PREFIX_WILDCARD.exec(name);
    if (prefix !== null) {
      const wildcard = byName.get(`*${prefix[1]}`);
      if (wildcard !== undefined) return wildcard;
    }
    const suffix = SUFFIX_WILDCARD.exec(name);
    if (suffix !== null) {
      const wildcard = byName.get(`${suffix[1]}*`);
      if (wildcard !== undefined) return wildcard;
    }
    return byName.get('*');
  }
}

/** RSA and ECDSA certificates can be served side by side (`cert_alt`/`key_alt`); OpenSSL picks per client. */
function createContext(c: CertificateFields): SecureContext {
  const alt = typeof c.cert_alt === 'string' && c.cert_alt !== '' && typeof c.key_alt === 'string' && c.key_alt !== '';
  return createSecureContext({
    cert: alt ? [c.cert, c.cert_alt as string] : c.cert,
    key: alt ? [c.key, c.key_alt as string] : c.key,
  });
}
