/** Minimal argument parsing: positional words plus `-c/--conf`, `-p/--prefix` and boolean flags. */
export interface ParsedArgs {
  positional: string[];
  conf?: string;
  prefix?: string;
  /** `-d/--days N` (hybrid gen_cert). */
  days?: string;
  /** `--timeout N` (stop, quit): seconds to wait for the node to exit. */
  timeout?: string;
  /** `--wait N` (stop, quit): seconds to wait before asking the node to stop. */
  wait?: string;
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
    else if (a === '--timeout') out.timeout = argv[++i] ?? '';
    else if (a.startsWith('--timeout=')) out.timeout = a.slice(10);
    else if (a === '--wait') out.wait = argv[++i] ?? '';
    else if (a.startsWith('--wait=')) out.wait = a.slice(7);
    else if (a.startsWith('-')) out.flags.add(a.replace(/^-+/, ''));
    else out.positional.push(a);
  }
  return out;
}
