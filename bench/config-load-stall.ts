/**
 * The supervisor's event-loop stall while `POST /config` loads a large document: the longest a `GET /status`
 * (answered by the supervisor) waits while the load runs. `node bench/config-load-stall.ts [services]`
 * (80000 services with one route each is a 18.8 MiB JSON document). Numbers in docs/security.md.
 */
import { request } from 'undici';
import { startTollgate } from '../test/helpers/tollgate.ts';
const n = Number(process.argv[2] ?? 80000);
const services = [];
for (let i = 0; i < n; i++) services.push({ name: `svc-${i}`, url: `http://upstream-${i}.example.com:8080/base/${i}`, tags: ['bulk', `t${i % 50}`], routes: [{ name: `route-${i}`, paths: [`/svc/${i}/a`, `/svc/${i}/b`], methods: ['GET', 'POST'], hosts: [`h${i}.example.com`], tags: ['bulk'] }] });
const body = JSON.stringify({ _format_version: '3.0', services });
console.log(`document: ${(body.length / 1048576).toFixed(1)} MiB, ${n} services and routes`);
const node = await startTollgate({ config: '_format_version: "3.0"\n', workers: 1, env: { TOLLGATE_NGINX_ADMIN_CLIENT_MAX_BODY_SIZE: '64m' } });
try {
  let done = false;
  let worst = 0;
  const samples: number[] = [];
  const poll = (async () => {
    while (!done) {
      const t0 = performance.now();
      const r = await request(`${node.status}/status`);
      await r.body.dump();
      const ms = performance.now() - t0;
      samples.push(ms);
      worst = Math.max(worst, ms);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  const t0 = performance.now();
  const res = await request(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 600_000, bodyTimeout: 600_000 });
  const text = await res.body.text();
  const total = performance.now() - t0;
  done = true;
  await poll;
  samples.sort((a, b) => a - b);
  console.log(`POST /config ${res.statusCode} (${(text.length / 1048576).toFixed(1)} MiB answer) in ${total.toFixed(0)} ms; GET /status during it: ${samples.length} answers, median ${samples[samples.length >> 1].toFixed(1)} ms, longest ${worst.toFixed(0)} ms`);
} finally {
  await node.stop();
}
