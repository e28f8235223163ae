/**
 * nginx configurations for two contestants: the upstream (answers every request itself, as cheaply as nginx
 * can) and the keep-alive reverse proxy baseline in front of it. Both run in the foreground with every path
 * inside their own prefix directory, so nothing outside the run's temp dir is touched.
 */

/** Settings shared by both nginx roles. */
export interface NginxBaseOptions {
  /** Directory for pid, logs and temp files (nginx `-p`). */
  prefixDir: string;
  workers: number;
  listenPort: number;
}

/** The proxy additionally needs the upstream's port and how many idle upstream connections to keep per worker. */
export interface NginxProxyOptions extends NginxBaseOptions {
  upstreamPort: number;
  upstreamKeepalive: number;
}

function mainContext(options: NginxBaseOptions): string {
  const dir = options.prefixDir;
  return `daemon off;
master_process on;
worker_processes ${options.workers};
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
  worker_connections 16384;
  multi_accept on;
}
`;
}

function httpCommon(dir: string): string {
  return `  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # One connection can carry a whole run: no reconnects in the middle of a measurement.
  keepalive_requests 100000000;
  keepalive_timeout 300s;
`;
}

/**
 * The upstream: `return 200 "ok"` from the config, no files, no logs. `reuseport` gives each worker its own
 * accept queue so load spreads evenly across workers.
 */
export function upstreamNginxConfig(options: NginxBaseOptions): string {
  return `${mainContext(options)}
http {
${httpCommon(options.prefixDir)}  default_type text/plain;

  server {
    listen 127.0.0.1:${options.listenPort} reuseport backlog=4096;
    location / {
      return 200 "ok";
    }
  }
}
`;
}

/**
 * The nginx baseline: a plain reverse proxy with HTTP/1.1 keep-alive to the upstream (`upstream { keepalive }`,
 * `proxy_http_version 1.1`, empty `Connection` header) and otherwise nginx's defaults.
 */
export function proxyNginxConfig(options: NginxProxyOptions): string {
  return `${mainContext(options)}
http {
${httpCommon(options.prefixDir)}
  upstream bench_upstream {
    server 127.0.0.1:${options.upstreamPort};
    keepalive ${options.upstreamKeepalive};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }

  server {
    listen 127.0.0.1:${options.listenPort} reuseport backlog=4096;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Arguments that start nginx in the foreground on a config file, with early errors logged in the prefix too. */
export function nginxArgs(prefixDir: string, configPath: string): string[] {
  return ['-p', prefixDir, '-e', `${prefixDir}/error.log`, '-c', configPath];
}
