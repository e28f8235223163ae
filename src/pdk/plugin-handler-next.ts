/**
 * The plugin contract the new runtime runs (temporary copy until the runtime lands and replaces
 * plugin-handler.ts with it).
 */
import type { Kong } from './kong.ts';
import type { NodeServices } from './shared-state.ts';
import type { PluginConfigData } from './plugin-handler.ts';

export const PLUGIN_PHASES = ['certificate', 'rewrite', 'access', 'response', 'header_filter', 'body_filter', 'log'] as const;
export type PluginPhase = (typeof PLUGIN_PHASES)[number];
export type PhaseResult = void | Promise<void>;
export type PhaseMethod<Conf> = (kong: Kong, conf: Conf) => PhaseResult;
export interface PluginHandler<Conf = unknown> {
  readonly name: string;
  readonly priority: number;
  readonly version?: string;
  init_worker?(node: NodeServices): void | Promise<void>;
  prepare?(config: Readonly<Record<string, unknown>>, data: PluginConfigData): Conf;
  certificate?: PhaseMethod<Conf>;
  rewrite?: PhaseMethod<Conf>;
  access?: PhaseMethod<Conf>;
  response?: PhaseMethod<Conf>;
  header_filter?: PhaseMethod<Conf>;
  body_filter?: PhaseMethod<Conf>;
  log?: PhaseMethod<Conf>;
}
