/**
 * A forked process that uses the real shared-state client, driven by its parent over IPC: the stand-in for a
 * proxy worker in test/shared-state.test.ts (no plugin can call the API yet).
 *
 *   node test/support/shared-state-worker.ts <socket path> <token>
 */
import { SharedStateClient } from '../../src/shared-state/client.ts';

export type WorkerCommand =
  | { cmd: 'incr'; key: string; count: number; ttlMs: number }
  | { cmd: 'incr-forever'; key: string }
  | { cmd: 'get'; key: string }
  | { cmd: 'metric'; name: string; by: number }
  | { cmd: 'exit' };

export type WorkerReply =
  | { ok: true; values?: number[]; value?: number }
  | { ok: false; error: string }
  /** incr-forever: values acknowledged so far, sent in batches. */
  | { acked: number[] };

const [path, token] = process.argv.slice(2);
const client = new SharedStateClient({ path, token, pushIntervalMs: 3_600_000 });
const reply = (r: WorkerReply) => process.send!(r);

process.on('message', async (m: WorkerCommand) => {
  try {
    switch (m.cmd) {
      case 'incr': {
        // Every increment is issued at once, so that both workers' calls interleave at the node.
        const values = await Promise.all(Array.from({ length: m.count }, () => client.counters.incr(m.key, 1, m.ttlMs)));
        reply({ ok: true, values });
        break;
      }
      case 'incr-forever':
        for (;;) {
          const values = await Promise.all(Array.from({ length: 20 }, () => client.counters.incr(m.key, 1, 0)));
          reply({ acked: values });
        }
      case 'get':
        reply({ ok: true, value: await client.counters.get(m.key) });
        break;
      case 'metric':
        client.metrics.counter({ name: m.name, help: 'Test counter.' }).inc([], m.by);
        // Ready once the node has answered: the connection is up and introduced.
await client.counters.get('ready');
reply({ ok: true });
        break;
      case 'exit':
        client.close();
        process.exit(0);
    }
  } catch (err) {
    reply({ ok: false, error: (err as Error).message });
  }
});
// Ready once the node has answered: the connection is up and introduced.
await client.counters.get('ready');
reply({ ok: true });
