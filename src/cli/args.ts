/** Minimal argument parsing: positional words plus `-c/--conf`, `-p/--prefix` and boolean flags. */
export interface ParsedArgs {
  positional: string[];
  conf?: string;
  prefix?: string;
  /** `-d/--days N` (hybrid gen_cert). */
  days?: string;
  flags: Set<string>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--conf') out.conf = argv[++i];
    else if (a.startsWith('--conf=')) out.conf = a.slice(7);
    else if (a === '-p' || a === '--prefix') out.prefix = argv[++i];
    else if (a.startsWith('--prefix=')) out.prefix = a.slice(9);
    else if (a === '-d' || a === '--days') out.days = argv[++i] ?? '';
    else if (a.startsWith('--days=')) out.days = a.slice(7);
    else if (a.startsWith('-')) out.flags.add(a.replace(/^-+/, ''));
    else out.positional.push(a);
  }
  return out;
}
