/**
 * The settings as the Admin API shows them under `configuration` in `GET /`: every key with its parsed
 * value (or the vault reference it was given as), secrets replaced by `******`, plus the parsed listener arrays and enabled headers, like Kong.
 */
import { SETTING_DEFINITIONS } from './definitions.ts';
import { DOWNSTREAM_HEADER_NAMES, UPSTREAM_HEADER_NAMES } from './headers.ts';
import type { DownstreamHeaders, Settings, UpstreamHeaders } from './settings-types.ts';

/** What a secret value is replaced with (Kong's placeholder). */
export const SECRET_PLACEHOLDER = '******';

/** Keys whose values are `on`/`off` strings in Kong's output rather than JSON booleans. */
const SHOWN_AS_ON_OFF: ReadonlySet<string> = new Set(['real_ip_recursive']);

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object') return { ...value };
  return value;
}

function headerMap<F extends string>(names: Readonly<Record<F, string>>, enabled: Readonly<Record<F, boolean>>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const flag of Object.keys(names) as F[]) out[names[flag]] = enabled[flag];
  return out;
}

/**
 * A plain, JSON-ready copy of the settings for `GET /` (`configuration`): every key (secrets that are set
 * become `******`), `proxy_listeners`, `stream_listeners`, `admin_listeners`, `status_listeners`, `cluster_listeners`,
 * `cluster_telemetry_listeners`, the `*_ssl_enabled` flags and `enabled_headers`/`enabled_headers_upstream`.
 */
export function settingsView(settings: Settings): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const definition of SETTING_DEFINITIONS) {
    const value: unknown = settings[definition.name];
    const reference = Object.prototype.hasOwnProperty.call(settings.settingReferences, definition.name) ? settings.settingReferences[definition.name] : undefined;
    if (definition.secret && value !== null) view[definition.name] = SECRET_PLACEHOLDER;
    // A setting given as a reference shows the reference, as Kong does (its value may be as secret).
    else if (reference !== undefined) view[definition.name] = reference;
    else if (SHOWN_AS_ON_OFF.has(definition.name)) view[definition.name] = value ? 'on' : 'off';
    else view[definition.name] = copy(value);
  }
  view.proxy_listeners = copy(settings.proxy_listeners);
  view.admin_listeners = copy(settings.admin_listeners);
  view.stream_listeners = copy(settings.stream_listeners);
  view.status_listeners = copy(settings.status_listeners);
  view.admin_gui_listeners = copy(settings.admin_gui_listeners);
  view.cluster_listeners = copy(settings.cluster_listeners);
  view.cluster_telemetry_listeners = copy(settings.cluster_telemetry_listeners);
  view.proxy_ssl_enabled = settings.proxy_ssl_enabled;
  view.stream_proxy_ssl_enabled = settings.stream_proxy_ssl_enabled;
  view.admin_ssl_enabled = settings.admin_ssl_enabled;
  view.status_ssl_enabled = settings.status_ssl_enabled;
  view.admin_gui_ssl_enabled = settings.admin_gui_ssl_enabled;
  view.enabled_headers = headerMap<keyof DownstreamHeaders>(DOWNSTREAM_HEADER_NAMES, settings.headersDownstream);
  view.enabled_headers_upstream = headerMap<keyof UpstreamHeaders>(UPSTREAM_HEADER_NAMES, settings.headersUpstream);
  return view;
}
