import { resolve } from 'node:path';
import { DEFAULT_CLUSTER_CERT_DAYS, generateClusterCertificate } from '../cluster/gen-cert.ts';

export const HYBRID_USAGE = `Usage: tollgate hybrid gen_cert [--days N] [CERT KEY]

Makes the certificate and private key that the control plane and every data plane share in
cluster_mtls = shared mode (an EC P-256 self-signed certificate named tollgate_clustering).

Arguments:
  CERT KEY                 where to write the certificate and the key (default: ./cluster.crt ./cluster.key)

Options:
  -d, --days N             validity in days (default: ${DEFAULT_CLUSTER_CERT_DAYS}, three years)
`;

/**
 * `tollgate hybrid ...`: `positional` are the words after `hybrid` (the subcommand first). Returns the exit
 * status; messages go to stdout/stderr.
 */
export function runHybridCommand(positional: string[], options: { days?: string; cwd: string }): number {
  const [sub, ...rest] = positional;
  if (sub !== 'gen_cert') {
    const what = sub === undefined ? 'missing hybrid command' : `unknown hybrid command '${sub}'`;
    process.stderr.write(`Error: ${what}; expected gen_cert\n\n${HYBRID_USAGE}`);
    return 1;
  }
  if (rest.length !== 0 && rest.length !== 2) {
    process.stderr.write(`Error: gen_cert takes both CERT and KEY, or neither\n\n${HYBRID_USAGE}`);
    return 1;
  }
  let days = DEFAULT_CLUSTER_CERT_DAYS;
  if (options.days !== undefined) {
    // Number() would accept '1e3', ' 7' or '0x10'; only plain digits are a sensible day count.
    if (!/^[0-9]+$/.test(options.days) || Number(options.days) <= 0 || !Number.isSafeInteger(Number(options.days))) {
      process.stderr.write(`Error: --days must be a positive whole number, got '${options.days}'\n`);
      return 1;
    }
    days = Number(options.days);
  }
  const certPath = resolve(options.cwd, rest[0] ?? 'cluster.crt');
  const keyPath = resolve(options.cwd, rest[1] ?? 'cluster.key');
  try {
    generateClusterCertificate({ certPath, keyPath, days });
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `Wrote the cluster certificate to ${certPath} and its private key to ${keyPath} (valid for ${days} days).\n` +
      'Copy both to every control plane and data plane node and point cluster_cert and cluster_cert_key at them.\n',
  );
  return 0;
}
