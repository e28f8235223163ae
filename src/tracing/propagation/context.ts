/** What propagation reads from incoming headers and writes to outgoing ones (Kong's tracing context). */

export const FORMATS = ['w3c', 'b3', 'b3-single', 'jaeger', 'ot', 'datadog', 'aws', 'gcp', 'instana'] as const;
export type PropagationFormat = (typeof FORMATS)[number];
/** b3-single is read by the b3 extractor. */
export const EXTRACTORS = FORMATS.filter((f) => f !== 'b3-single') as Exclude<PropagationFormat, 'b3-single'>[];
export type ExtractFormat = (typeof EXTRACTORS)[number];

export interface TracingContext {
  traceId?: Buffer;
  spanId?: Buffer;
  parentId?: Buffer;
  shouldSample?: boolean;
  baggage?: Readonly<Record<string, string>>;
  /** b3's debug flag ("1"). */
  flags?: string;
  /** W3C trace flags. */
  w3cFlags?: number;
  /** The incoming b3 context came in the single `b3` header. */
  singleHeader?: boolean;
  /** The incoming span id is the sender's own span, shared with the receiver (b3, jaeger: zipkin's model). */
  reuseSpanId?: boolean;
  /** The incoming trace id's length in bytes, kept when the outgoing format allows it. */
  traceIdOriginalSize?: number;
}

/** Request headers by lower-case name (Node's `IncomingMessage.headers`). */
export type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Where extraction problems go (Kong warns and ignores the header). */
export type PropagationWarn = (message: string) => void;

/** The `propagation` record, resolved. */
export interface PropagationConfig {
  readonly extract: readonly ExtractFormat[] | null;
  readonly inject: readonly (PropagationFormat | 'preserve')[] | null;
  readonly clear: readonly string[] | null;
  readonly defaultFormat: PropagationFormat;
}
