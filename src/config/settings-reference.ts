/**
 * The configuration reference for the README, generated from the definitions so that it cannot drift
 * from what the loader accepts.
 */
import { SETTING_DEFINITIONS } from './definitions.ts';
import type { AnySettingDefinition } from './definitions.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function typeCell(definition: AnySettingDefinition): string {
  if (definition.type === 'enum' && definition.values) return `one of ${definition.values.map((v) => `\`${v}\``).join(', ')}`;
  return definition.type;
}

function defaultCell(definition: AnySettingDefinition): string {
  return definition.default === '' ? '(unset)' : `\`${definition.default}\``;
}

/**
 * A Markdown table of every key: name, type, default and description. Secret keys are marked, since their
 * values are hidden in `GET /`.
 */
export function renderSettingsReference(): string {
  const rows = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const definition of SETTING_DEFINITIONS) {
    const description = definition.secret ? `${definition.description} Secret: shown as \`******\`.` : definition.description;
    rows.push(`| \`${definition.name}\` | ${cell(typeCell(definition))} | ${cell(defaultCell(definition))} | ${cell(description)} |`);
  }
  return `${rows.join('\n')}\n`;
}
