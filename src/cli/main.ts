import cluster from 'node:cluster';
import { runWorker } from '../runtime/worker.ts';

// Proxy workers are forked from this same entry point; they take their orders over IPC, not argv.
if (cluster.isWorker) {
  runWorker();
} else {
  const { runCli } = await import('./commands.ts');
  process.exitCode = await runCli(process.argv.slice(2));
}
