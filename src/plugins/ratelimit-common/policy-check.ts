/** Whether `policy = cluster` can work on this node: it counts in the node's PostgreSQL. */
import { databaseUnavailableReason } from '../../pdk/index.ts';

/** The message refusing `policy = cluster` here (naming what to use instead), or null where it works. */
export function clusterPolicyRefusal(): string | null {
  const reason = databaseUnavailableReason();
  if (reason === null) return null;
  return `policy 'cluster' keeps counters in the database, and ${reason}: use 'redis' to share limits between nodes, or 'local'`;
}
