/** `kong.client`, `kong.router`, `kong.ctx`, `kong.log`, `kong.ip` and `kong.node`. */
import { proxiedAddress } from '../core/proxy-protocol-listener.ts';
import { hostname } from 'node:os';
import type { PluginContext } from './context.ts';
import type { ClientTlsInfo, KongClient, KongCtx, KongIp, KongLog, KongNode, KongRouter } from './kong.ts';
import type { PluginConsumer, PluginConsumerGroup, PluginCredential } from './plugin-handler.ts';
import type { LogRecord } from './log-record.ts';
import { AFTER_RESPONSE, ALL, BEFORE_PROXY, checkPhase, REQUEST_PHASES, ROUTED } from './phase-rules.ts';
import { serializeLog } from './log-serializer.ts';

function plainIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

const NO_GROUPS: readonly PluginConsumerGroup[] = Object.freeze([]);

export class ClientApi implements KongClient {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  getIp(): string {
    checkPhase(this.#ctx.phaseBit, ALL, 'kong.client.get_ip');
    return plainIp(this.#ctx.req.socket.remoteAddress);
  }
  getForwardedIp(): string {
    checkPhase(this.#ctx.phaseBit, ALL, 'kong.client.get_forwarded_ip');
    return this.#ctx.clientIp;
  }
  getPort(): number {
    checkPhase(this.#ctx.phaseBit, ALL, 'kong.client.get_port');
    return this.#ctx.req.socket.remotePort ?? 0;
  }
  getForwardedPort(): number {
    checkPhase(this.#ctx.phaseBit, ALL, 'kong.client.get_forwarded_port');
    const socket = this.#ctx.req.socket;
    // The PROXY protocol header's port, when its address is the one the request was taken to come from.
    const proxied = proxiedAddress(socket);
    if (proxied !== undefined && proxied.ip === this.#ctx.clientIp) return proxied.port;
    return socket.remotePort ?? 0;
  }
  getProtocol(allowTerminated = false): string {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, 'kong.client.get_protocol');
    const ctx = this.#ctx;
    const scheme = ctx.tlsSocket() === null ? 'http' : 'https';
    if (!allowTerminated || scheme === 'https') return scheme;
    const forwarded = ctx.req.headers['x-forwarded-proto'];
    const trusted = ctx.env.isTrusted(plainIp(ctx.req.socket.remoteAddress));
    return trusted && typeof forwarded === 'string' && forwarded.toLowerCase() === 'https' ? 'https' : scheme;
  }
  getConsumer(): PluginConsumer | null {
    checkPhase(this.#ctx.phaseBit, ROUTED, 'kong.client.get_consumer');
    return this.#ctx.consumer;
  }
  getConsumerGroups(): readonly PluginConsumerGroup[] {
    checkPhase(this.#ctx.phaseBit, ROUTED, 'kong.client.get_consumer_groups');
    const consumer = this.#ctx.consumer;
    return consumer === null ? NO_GROUPS : this.#ctx.configData.consumerGroups(consumer.id);
  }
  getCredential(): PluginCredential | null {
    checkPhase(this.#ctx.phaseBit, ROUTED, 'kong.client.get_credential');
    return this.#ctx.credential;
  }
  authenticate(consumer: PluginConsumer | null, credential: PluginCredential | null): void {
    checkPhase(this.#ctx.phaseBit, BEFORE_PROXY, 'kong.client.authenticate');
    if ((consumer === null || consumer === undefined) && (credential === null || credential === undefined)) {
      throw new Error('kong.client.authenticate: either credential or consumer must be provided');
    }
    this.#ctx.consumer = consumer ?? null;
    this.#ctx.credential = credential ?? null;
  }
  loadConsumer(idOrUsername: string, byUsername = false): PluginConsumer | null {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, 'kong.client.load_consumer');
    const consumer = this.#ctx.configData.consumer(idOrUsername) ?? null;
    if (consumer !== null && consumer.id !== idOrUsername && !byUsername) return null;
    return consumer;
  }
  getTlsInfo(): ClientTlsInfo | null {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, 'kong.client.get_tls_info');
    const tls = this.#ctx.tlsSocket();
    if (tls === null) return null;
    const cipher = tls.getCipher();
    return {
      version: tls.getProtocol() ?? '',
      cipher: cipher?.standardName ?? cipher?.name ?? '',
      client_verify: tls.authorized ? 'SUCCESS' : tls.getPeerCertificate()?.subject === undefined ? 'NONE' : 'FAILED',
    };
  }
  getClientCertificateChain(): string | null {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, 'kong.client.tls.get_full_client_certificate_chain');
    const tls = this.#ctx.tlsSocket();
    if (tls === null) return null;
    const pems: string[] = [];
    const seen = new Set<unknown>();
    // Node links a certificate to its issuer; a self-signed root links to itself.
    for (let cert = tls.getPeerCertificate(true); cert?.raw !== undefined && !seen.has(cert); cert = cert.issuerCertificate) {
      seen.add(cert);
      const base64 = cert.raw.toString('base64').replace(/(.{64})/g, '$1\n');
      pems.push(`-----BEGIN CERTIFICATE-----\n${base64.endsWith('\n') ? base64 : `${base64}\n`}-----END CERTIFICATE-----\n`);
    }
    return pems.length === 0 ? null : pems.join('');
  }
}

export class RouterApi implements KongRouter {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  getRoute(): Readonly<Record<string, unknown>> | null {
    checkPhase(this.#ctx.phaseBit, ROUTED, 'kong.router.get_route');
    return this.#ctx.routed?.route ?? null;
  }
  getService(): Readonly<Record<string, unknown>> | null {
    checkPhase(this.#ctx.phaseBit, ROUTED, 'kong.router.get_service');
    return this.#ctx.routed?.service ?? null;
  }
}

export class CtxApi implements KongCtx {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  get shared(): Record<string, unknown> {
    return this.#ctx.sharedCtx;
  }
  get plugin(): Record<string, unknown> {
    return this.#ctx.pluginCtx();
  }
}

function text(args: readonly unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a) ?? String(a))).join('');
}

/** `kong.log`: lines prefixed with the plugin's name and the request id, as Kong namespaces them. */
export class LogApi implements KongLog {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  #write(level: string, args: readonly unknown[]): void {
    const ctx = this.#ctx;
    const message = text(args);
    ctx.env.log(level, `[${ctx.currentPlugin}] ${message}, request id ${ctx.requestId}`);
    // Kept for a tracing plugin that exports the request's log lines (opentelemetry's logs_endpoint).
    const captured = ctx.logLines;
    if (captured !== null) captured.push({ level, message, plugin: ctx.currentPlugin, timeMs: Date.now() });
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  notice(...args: unknown[]): void {
    this.#write('notice', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  err(...args: unknown[]): void {
    this.#write('error', args);
  }
  crit(...args: unknown[]): void {
    this.#write('crit', args);
  }
  alert(...args: unknown[]): void {
    this.#write('alert', args);
  }
  emerg(...args: unknown[]): void {
    this.#write('emerg', args);
  }
  serialize(): LogRecord {
    checkPhase(this.#ctx.phaseBit, AFTER_RESPONSE, 'kong.log.serialize');
    return serializeLog(this.#ctx);
  }
  setSerializeValue(key: string, value: unknown): void {
    checkPhase(this.#ctx.phaseBit, REQUEST_PHASES, 'kong.log.set_serialize_value');
    if (typeof key !== 'string' || key === '') throw new Error('kong.log.set_serialize_value: key must be a non-empty string');
    (this.#ctx.serializeEdits ??= []).push([key, value]);
  }
}

export class IpApi implements KongIp {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  isTrusted(address: string): boolean {
    return this.#ctx.env.isTrusted(address);
  }
}

export class NodeApi implements KongNode {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  getId(): string {
    return this.#ctx.env.nodeId;
  }
  getHostname(): string {
    return this.#ctx.env.hostname || hostname();
  }
  getSyslogSocket(): string {
    return this.#ctx.env.syslogSocket ?? '/dev/log';
  }
  getErrorLog(): (level: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit', message: string) => void {
    // Only the worker's environment is kept, never the request's context.
    const env = this.#ctx.env;
    return (level, message) => env.log(level, message);
  }
  getMemoryStats(): Record<string, unknown> {
    const m = process.memoryUsage();
    return { workers_lua_vms: [{ pid: process.pid, http_allocated_gc: m.heapUsed, rss: m.rss }], lua_shared_dicts: {} };
  }
}
