/**
 * Regenerates the configuration reference in README.md from the setting definitions, so that the table and
 * the code cannot drift apart (test/readme.test.ts fails when they do). Run: `npm run docs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSettingsReference } from '../src/config/index.ts';

export const START = '<!-- settings-reference:start -->';
export const END = '<!-- settings-reference:end -->';

export function withReference(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a === -1 || b === -1 || b < a) throw new Error(`README.md must contain ${START} ... ${END}`);
  return `${readme.slice(0, a + START.length)}\n${renderSettingsReference().trimEnd()}\n${readme.slice(b)}`;
}

if (import.meta.main) {
  const file = join(import.meta.dirname, '..', 'README.md');
  writeFileSync(file, withReference(readFileSync(file, 'utf8')));
}
