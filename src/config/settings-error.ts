/**
 * Thrown when the settings cannot be loaded. It collects every problem found, so that one start attempt
 * shows them all; each line names where the value came from (`file:line`, environment variable, default),
 * the key, the value and what is wrong with it.
 */
export class SettingsError extends Error {
  /** One line per problem, in the order they were found. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'SettingsError';
    this.problems = Object.freeze([...problems]);
  }
}
