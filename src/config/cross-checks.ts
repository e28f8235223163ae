/**
 * Rules that involve more than one key (role requirements, certificate/key pairs, PROXY protocol). They
 * run once every key has parsed on its own.
 */
import type { ListenAddress, SettingName, SettingValues } from './settings-types.ts';

export interface ParsedListeners {
  proxy: ListenAddress[];
  admin: ListenAddress[];
  cluster: ListenAddress[];
}

/** Reports a problem with `key`; `reason` completes "invalid value for 'key' (...): <reason>". */
export type ReportProblem = (key: SettingName, reason: string) => void;

/** Checks the rules between keys, reporting each broken one. `sourceOf` names where a key's value came from. */
export function checkAcrossKeys(
  values: SettingValues,
  listeners: ParsedListeners,
  sourceOf: (key: SettingName) => string,
  report: ReportProblem,
): void {
  const roleNote = `role = '${values.role}' (${sourceOf('role')})`;

  if (values.role === 'control_plane' || values.role === 'data_plane') {
    if (values.cluster_cert === null) report('cluster_cert', `a cluster certificate is required when ${roleNote}`);
    if (values.cluster_cert_key === null) report('cluster_cert_key', `the cluster certificate's key is required when ${roleNote}`);
  }

  if (values.role === 'control_plane') {
    if (listeners.admin.length === 0) report('admin_listen', `the Admin API must listen when ${roleNote}`);
    if (listeners.cluster.length === 0) report('cluster_listen', `data planes need an address to connect to when ${roleNote}`);
    if (values.database === 'off') {
      report('database', `a control plane keeps the configuration it pushes in a database; set database = sqlite or postgres when ${roleNote}`);
    }
  }

  if (values.role === 'control_plane' || values.role === 'data_plane') {
    if (values.cluster_mtls === 'pki' && values.cluster_ca_cert === null) {
      const why = values.role === 'control_plane' ? 'it verifies data plane certificates' : 'it verifies the control plane certificate';
      report('cluster_ca_cert', `required when cluster_mtls = 'pki' (${sourceOf('cluster_mtls')}) and ${roleNote}: ${why}`);
    }
    if (values.cluster_mtls === 'shared' && values.cluster_ocsp !== 'off') {
      report('cluster_ocsp', `revocation checks need certificates issued by a CA; set cluster_mtls = pki or cluster_ocsp = off`);
    }
    if (values.cluster_mtls === 'shared' && values.cluster_allowed_common_names.length > 0) {
      report('cluster_allowed_common_names', `names are only checked when cluster_mtls = pki; in shared mode every node holds the same certificate`);
    }
  }

  if (values.role === 'data_plane') {
    if (listeners.proxy.length === 0) report('proxy_listen', `a data plane must proxy; set at least one address when ${roleNote}`);
    if (values.database !== 'off') report('database', `a data plane keeps its configuration in memory; set database = off when ${roleNote}`);
    if (values.ingress_controller) report('ingress_controller', `a data plane takes its configuration from its control plane; run the ingress controller there, not when ${roleNote}`);
  }

  // Kong silently ignores the file when a database is in use; saying so saves a confused first start.
  if (values.database !== 'off' && (values.declarative_config !== null || values.declarative_config_string !== null)) {
    const key = values.declarative_config !== null ? 'declarative_config' : 'declarative_config_string';
    report(key, `is only read when database = off, but database = '${values.database}' (${sourceOf('database')}); set database = off to run DB-less from it, or import it with 'tollgate config db_import'`);
  }

  checkPairs('ssl_cert', 'ssl_cert_key', values, report);
  checkPairs('admin_ssl_cert', 'admin_ssl_cert_key', values, report);
  checkPairs('admin_gui_ssl_cert', 'admin_gui_ssl_cert_key', values, report);
  checkPairs('status_ssl_cert', 'status_ssl_cert_key', values, report);
  if (values.client_ssl && (values.client_ssl_cert === null) !== (values.client_ssl_cert_key === null)) {
    const missing = values.client_ssl_cert === null ? 'client_ssl_cert' : 'client_ssl_cert_key';
    report(missing, `must be specified with ${missing === 'client_ssl_cert' ? 'client_ssl_cert_key' : 'client_ssl_cert'} when client_ssl = on`);
  }
  if (values.cluster_use_proxy && values.proxy_server === null && (values.role === 'control_plane' || values.role === 'data_plane')) {
    report('cluster_use_proxy', `is turned on but no proxy_server is configured; set proxy_server or cluster_use_proxy = off`);
  }

  if (values.real_ip_header === 'proxy_protocol' && !listeners.proxy.some((l) => l.proxy_protocol)) {
    report('real_ip_header', `needs at least one proxy_listen entry with the 'proxy_protocol' flag (proxy_listen from ${sourceOf('proxy_listen')})`);
  }
}

function checkPairs(
  certKey: 'ssl_cert' | 'admin_ssl_cert' | 'admin_gui_ssl_cert' | 'status_ssl_cert',
  keyKey: 'ssl_cert_key' | 'admin_ssl_cert_key' | 'admin_gui_ssl_cert_key' | 'status_ssl_cert_key',
  values: SettingValues,
  report: ReportProblem,
): void {
  const certs = values[certKey].length;
  const keys = values[keyKey].length;
  if (certs === keys) return;
  if (keys === 0) report(keyKey, `must be set when ${certKey} is set (one key per certificate)`);
  else if (certs === 0) report(certKey, `must be set when ${keyKey} is set (one certificate per key)`);
  else report(keyKey, `${certKey} has ${certs} entries but ${keyKey} has ${keys}; give one key per certificate, in the same order`);
}
