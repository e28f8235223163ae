/**
 * `tollgate k8s translate -f FILE [-f FILE...] [--ingress-class NAME] [--format yaml|json]`: prints the
 * declarative configuration Kong's Ingress Controller would make of Kubernetes manifests; what it cannot
 * translate is listed on stderr, one line per resource.
 */
import { readFileSync } from 'node:fs';
import { dumpYaml } from '../declarative/yaml.ts';
import { registerPlugins } from '../entities/index.ts';
import { loadSettings } from '../config/index.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';
import { parseManifests, type K8sObject } from '../k8s/objects.ts';
import { translate } from '../k8s/translate/index.ts';

export const K8S_USAGE = `Usage: tollgate k8s translate -f FILE [-f FILE...] [--ingress-class NAME] [--format yaml|json]

Reads Kubernetes manifests (YAML documents or JSON lists; '-' reads stdin) and prints the declarative
configuration Kong's Ingress Controller would produce for them. The ingress class defaults to the ingress_class
setting ('kong'; TOLLGATE_INGRESS_CLASS). Resources that cannot be translated are listed on stderr and left out.
`;

interface TranslateArgs {
  files: string[];
  ingressClass: string;
  format: 'yaml' | 'json';
}

function parse(argv: readonly string[], defaultClass: string): TranslateArgs | string {
  const out: TranslateArgs = { files: [], ingressClass: defaultClass, format: 'yaml' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string): string | null => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      if (a === name) return argv[++i] ?? null;
      return null;
    };
    let v: string | null;
    if ((v = value('-f')) !== null || (v = value('--filename')) !== null) out.files.push(v);
    else if ((v = value('--ingress-class')) !== null) out.ingressClass = v;
    else if ((v = value('--format')) !== null) {
      if (v !== 'yaml' && v !== 'json') return `--format must be yaml or json, not '${v}'`;
      out.format = v;
    } else return `unknown argument '${a}'`;
  }
  if (out.files.length === 0) return 'no manifests: give at least one -f FILE';
  return out;
}

export async function runK8sCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'translate') {
    process.stderr.write(`Error: unknown k8s command '${argv[0] ?? ''}'\n\n${K8S_USAGE}`);
    return 1;
  }
  // The node's settings: `ingress_class` (TOLLGATE_INGRESS_CLASS) and the plugins the gateway has.
  const settings = loadSettings({});
  const args = parse(argv.slice(1), settings.ingress_class);
  if (typeof args === 'string') {
    process.stderr.write(`Error: ${args}\n\n${K8S_USAGE}`);
    return 1;
  }
  const objects: K8sObject[] = [];
  const problems: string[] = [];
  for (const file of args.files) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      process.stderr.write(`Error: cannot read ${file}: ${(err as Error).message}\n`);
      return 1;
    }
    const parsed = parseManifests(text, file);
    objects.push(...parsed.objects);
    problems.push(...parsed.problems);
  }
  // The node's `plugins` setting (and plugin_paths) decide which plugins exist, as they would for the gateway.
  const loaded = await loadNodePlugins(settings);
  registerPlugins(loaded.enabled);
  const result = translate(objects, { ingressClass: args.ingressClass, plugins: loaded.registry });
  problems.push(...result.problems);
  process.stdout.write(args.format === 'json' ? `${JSON.stringify(result.config, null, 2)}\n` : dumpYaml(result.config));
  for (const p of problems) process.stderr.write(`${p}\n`);
  return 0;
}
