/** bot-detection configuration, with Kong's fields and defaults. */
import { definePluginSchema, type PluginConfig } from '../../schema/index.ts';
import { compileHeaderRegex } from '../../core/regex.ts';

/** Kong's `is_regex` check: the pattern must compile (PCRE syntax, as Tollgate translates it). */
export function validateRegex(value: string): string | null {
  try {
    compileHeaderRegex(value);
    return null;
  } catch {
    return `not a valid regex: ${value}`;
  }
}

export const botDetectionSchema = definePluginSchema({
  name: 'bot-detection',
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    fields: {
      allow: {
        type: 'array',
        elements: { type: 'string', custom_validator: validateRegex },
        default: [],
        description: 'Regular expressions on the User-Agent header that are let through, even when another rule matches.',
      },
      deny: {
        type: 'array',
        elements: { type: 'string', custom_validator: validateRegex },
        default: [],
        description: 'Regular expressions on the User-Agent header that are refused, besides the built-in bot rules.',
      },
    },
  },
});

/** bot-detection's validated configuration. */
export type BotDetectionConfig = PluginConfig<typeof botDetectionSchema>;
