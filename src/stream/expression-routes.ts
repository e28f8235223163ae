/**
 * Stream routes written as expressions (`router_flavor = expressions`): the expression is checked against
 * the stream schema (`net.protocol`, `tls.sni`, `net.src.*`, `net.dst.*`) and compiled once, with the
 * expressions router's own parser and evaluator; a connection is evaluated through a reused request object.
 */
import { checkExpression } from '../router/expressions/compile.ts';
import { compileEvaluator, MatchRecord } from '../router/expressions/evaluate.ts';
import { ExpressionRequest } from '../router/expressions/request.ts';
import { amendExpression } from '../router/expressions/transform.ts';
import { RequestView } from '../router/request-view.ts';
import type { MatchInput } from '../router/types.ts';
import type { StreamConnection } from './router.ts';

export type StreamPredicate = (c: StreamConnection) => boolean;

/** The compiled expression, or atc-router's message when it does not check. */
export function compileStreamExpression(source: string): StreamPredicate | string {
  const checked = checkExpression(amendExpression(source), 'stream');
  if (!checked.ok) return checked.message;
  const evaluate = compileEvaluator(checked.expression, false);
  const request = new ExpressionRequest();
  const view = new RequestView();
  const record = new MatchRecord();
  const input: MatchInput = { method: '', rawPath: '', host: '', headers: {}, sni: '', scheme: 'http', listenerPort: 0 };
  return (c) => {
    view.sni = c.sni ?? '';
    // The readers take `net.protocol` from the view's scheme as text; streams name theirs as Kong does.
    view.scheme = (c.protocol === 'tls_passthrough' ? 'tls' : c.protocol) as RequestView['scheme'];
    view.compatPort = c.destinationPort;
    input.srcIp = c.sourceIp;
    input.srcPort = c.sourcePort;
    input.dstIp = c.destinationIp;
    request.reset(view, input);
    record.reset();
    return evaluate(request, record);
  };
}
