/**
 * bot-detection: refuses requests whose User-Agent matches a bot rule, as Kong's plugin does. The rules are
 * the configured `allow` patterns (a match lets the request through), then the `deny` patterns, then the
 * built-in bot list (rules.ts); a request without a User-Agent passes. Patterns are compiled once (the
 * built-in ones once per process, the configured ones per configuration), and each configuration keeps a
 * bounded cache of its decisions by User-Agent, since clients send the same few agents over and over.
 */
import { compileHeaderRegex } from '../../core/regex.ts';
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { BOT_RULES } from './rules.ts';
import type { BotDetectionConfig } from './schema.ts';

export const ERR_MULTIPLE_USER_AGENTS = 'Only one User-Agent header allowed';

/** Most User-Agents whose decision one configuration remembers (Kong's per-worker cache holds as many). */
export const DECISION_CACHE_SIZE = 10_000;

const BUILT_IN: readonly RegExp[] = BOT_RULES.map((rule) => compileHeaderRegex(rule));

/**
 * A least-recently-used map of decisions (true: refuse) by User-Agent. A Map keeps insertion order, so the
 * first key is the least recently used once hits are moved to the end.
 */
export class DecisionCache {
  readonly max: number;
  readonly entries = new Map<string, boolean>();
  constructor(max: number) {
    this.max = max;
  }
  get(key: string): boolean | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: boolean): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
  }
}

/** The configuration as the access phase reads it. */
export interface BotDetectionConf {
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
  readonly decisions: DecisionCache;
}

function prepare(config: BotDetectionConfig): BotDetectionConf {
  return {
    allow: config.allow.map((source) => compileHeaderRegex(source)),
    deny: config.deny.map((source) => compileHeaderRegex(source)),
    decisions: new DecisionCache(DECISION_CACHE_SIZE),
  };
}

function matchesAny(rules: readonly RegExp[], subject: string): boolean {
  for (const rule of rules) if (rule.test(subject)) return true;
  return false;
}

/** Whether a User-Agent is refused: allow wins, then deny, then the built-in bot rules. */
export function isRefused(conf: BotDetectionConf, userAgent: string): boolean {
  const subject = userAgent.trim();
  if (matchesAny(conf.allow, subject)) return false;
  return matchesAny(conf.deny, subject) || matchesAny(BUILT_IN, subject);
}

function access(kong: Kong, conf: BotDetectionConf): void {
  const values = kong.request.getHeaderValues('user-agent');
  if (values.length === 0) return;
  if (values.length > 1) return kong.response.error(400, ERR_MULTIPLE_USER_AGENTS);
  const userAgent = values[0];
  let refused = conf.decisions.get(userAgent);
  if (refused === undefined) {
    refused = isRefused(conf, userAgent);
    conf.decisions.set(userAgent, refused);
  }
  if (refused) kong.response.error(403);
}

export const botDetectionHandler: PluginHandler<BotDetectionConf, BotDetectionConfig> = {
  name: 'bot-detection',
  priority: 2500,
  version: '3.10.0',
  prepare,
  access,
};
