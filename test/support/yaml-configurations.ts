/**
 * Generated declarative configurations for round-trip property tests: strings that YAML readers type
 * differently (`off`, `on`, `yes`, `null`, `~`, numbers as strings, dates), unicode and long strings, placed
 * wherever the schema takes them. Deterministic for a seed.
 */
import { seededRandom } from './random.ts';

export const TRICKY_WORDS = [
  'off', 'on', 'yes', 'no', 'y', 'n', 'Y', 'N', 'true', 'false', 'True', 'FALSE', 'On', 'OFF', 'null', 'Null', 'NULL', '~', '',
  '0', '1', '-1', '007', '0755', '0o17', '0x1F', '1e3', '1_000', '3.0', '.5', '+1', '.inf', '-.Inf', '.nan', '1:20', '190:20:30',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<', '=', '- a', 'a: b', '#x', '@x', '`x', '"q"', "'q'", '{a}', '[a]', '&a', '*a', '!t',
  '%x', '|', '>', ' lead', 'trail ', 'a\nb', 'tab\there', 'é', 'ünïcödé', '服务', 'emoji 🚀', '\u00a0nbsp', 'back\\slash',
];

export const random = seededRandom;

/** Words that are also valid entity names (Kong's names: letters, digits, `.`, `-`, `_`, `~`). */
const NAME_WORDS = TRICKY_WORDS.filter((w) => /^[A-Za-z0-9._~-]+$/.test(w));

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

function freeText(rnd: () => number): string {
  const r = rnd();
  if (r < 0.6) return pick(rnd, TRICKY_WORDS);
  if (r < 0.8) return `${pick(rnd, TRICKY_WORDS)} ${pick(rnd, TRICKY_WORDS)}`;
  // Long strings, past any line width.
  return Array.from({ length: 20 + Math.floor(rnd() * 200) }, () => pick(rnd, TRICKY_WORDS)).join(pick(rnd, [' ', '', '-', '\n']));
}

/** A declarative document (text-free: an object) with tricky strings wherever the schema takes any string. */
export function generateDocument(rnd: () => number): Record<string, unknown> {
  const names = new Set<string>();
  const uniqueName = (): string => {
    for (;;) {
      const base = pick(rnd, NAME_WORDS);
      const name = names.has(base) ? `${base}-${names.size}` : base;
      if (!names.has(name)) {
        names.add(name);
        return name;
      }
    }
  };
  const tags = (): string[] => [...new Set(Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, NAME_WORDS)))];
  const services = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
    const name = uniqueName();
    return {
      name,
      url: `http://upstream.test:${1 + Math.floor(rnd() * 65000)}/${encodeURIComponent(pick(rnd, NAME_WORDS))}`,
      tags: tags(),
      routes: Array.from({ length: Math.floor(rnd() * 3) }, () => ({
        name: uniqueName(),
        paths: [`/${pick(rnd, NAME_WORDS)}`],
        headers: { 'x-mode': [pick(rnd, NAME_WORDS)] },
        tags: tags(),
      })),
    };
  });
  const usernames = new Set<string>();
  const keys = new Set<string>();
  const consumers = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => {
    let username = freeText(rnd);
    if (username === '' || usernames.has(username)) username = `${username}#${i}`;
    usernames.add(username);
    let key = freeText(rnd);
    if (key === '' || keys.has(key)) key = `${key}#${i}`;
    keys.add(key);
    return { username, custom_id: `${freeText(rnd)}#${i}`, tags: tags(), keyauth_credentials: [{ key }] };
  });
  return { _format_version: '3.0', services, consumers };
}
