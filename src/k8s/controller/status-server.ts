/** The standalone controller's status listener: /status/ready, /status and /metrics. */
import { createServer, type Server } from 'node:http';
import type { IngressController } from './controller.ts';

export function startControllerStatusServer(controller: IngressController, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { message: 'Method not allowed' });
    if (path === '/status/ready') {
      return controller.ready ? json(200, { message: 'ready' }) : json(503, { message: 'no configuration applied yet' });
    }
    if (path === '/status') {
      const m = controller.metrics;
      return json(200, { ready: controller.ready, leader: controller.leader, translation_problems: m.problems, last_apply: m.lastApply });
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return res.end(controller.metrics.render());
    }
    json(404, { message: 'Not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
