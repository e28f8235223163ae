import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../pdk/index.ts';
import { syslogHandler } from './handler.ts';
import type { SyslogConfig } from './schema.ts';

const config = { facility: 'user', log_level: 'info', successful_severity: 'info', client_errors_severity: 'info', server_errors_severity: 'err' } as unknown as SyslogConfig;

/** Just the parts of the PDK syslog's log phase touches; counts the records it builds. */
function logKong(socket: string): { kong: Kong; built: () => number; lines: string[]; status: { value: number } } {
  let built = 0;
  const lines: string[] = [];
  const status = { value: 200 };
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message), getSyslogSocket: () => socket },
    response: { getStatus: () => status.value },
    log: {
      serialize: () => {
        built++;
        return { response: { status: status.value } };
      },
      setSerializeValue: () => {},
    },
  } as unknown as Kong;
  return { kong, built: () => built, lines, status };
}

test('without a daemon: until logger is due to start again, no record is built; drops counted, not logged per record', async () => {
  const conf = syslogHandler.prepare!({ ...config, log_level: 'warning' } as SyslogConfig, undefined as never);
  const { kong, built, lines, status } = logKong('/nonexistent/tollgate-syslog-full.sock');
  status.value = 500;
  syslogHandler.log!(kong, conf);
  assert.equal(built(), 1);
  const deadline = Date.now() + 10_000;
  while ((conf.syslog!.running || lines.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(conf.syslog!.running, false, 'logger exited');
  const logged = lines.length;
  // logger is started again only after 5 s: these requests fall in that window.
  for (let i = 0; i < 1000; i++) syslogHandler.log!(kong, conf);
  assert.equal(built(), 1);
  assert.equal(conf.syslog!.dropped, 1000);
  // A 2xx is below log_level (warning) here: it would not have been sent, so it is not a drop.
  status.value = 200;
  for (let i = 0; i < 10; i++) syslogHandler.log!(kong, conf);
  assert.equal(built(), 1);
  assert.equal(conf.syslog!.dropped, 1000);
  assert.equal(lines.length, logged, 'no line per dropped record');
});
