/**
 * Facts about the machine for the report header.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import type { MachineInfo } from './report.ts';
import { toolVersion } from './tools.ts';

/** The CPU model from /proc/cpuinfo (`model name`), or "unknown CPU". */
export function cpuModel(cpuinfo?: string): string {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return 'unknown CPU';
    }
  }
  const match = /^model name\s*:\s*(.+)$/m.exec(text);
  return match ? match[1].trim() : 'unknown CPU';
}

/** Collects the machine facts; `date` is the run's start. */
export async function describeMachine(date: Date, nginxPath: string, wrkPath: string, nodePath: string): Promise<MachineInfo> {
  const nodeVersion = await toolVersion(nodePath, ['--version']);
  return {
    date: date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    cpuCount: availableParallelism(),
    cpuModel: cpuModel(),
    kernel: release(),
    nodeVersion,
    nginxVersion: (await toolVersion(nginxPath, ['-v'])).replace(/^nginx version:\s*/, ''),
    wrkVersion: (await toolVersion(wrkPath, ['-v'])).replace(/\s*Copyright.*$/, ''),
  };
}
