import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers } from '@nats-io/transport-node';
import { extractFromNatsHeaders, injectNatsHeaders } from './trace-context';

const SC = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

describe('transport-nats: trace context in NATS headers', () => {
  afterEach(() => propagation.disable());

  it('without a registered propagator nothing is injected and nothing extracted', () => {
    expect(injectNatsHeaders(undefined, trace.setSpanContext(ROOT_CONTEXT, SC))).toBeUndefined();
    const h = headers();
    h.set('traceparent', `00-${SC.traceId}-${SC.spanId}-01`);
    expect(trace.getSpanContext(extractFromNatsHeaders(h))).toBeUndefined();
  });

  it('with the W3C propagator: inject writes traceparent, extract reads it back (any header case)', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const h = injectNatsHeaders(headers(), trace.setSpanContext(ROOT_CONTEXT, SC))!;
    expect(h.get('traceparent')).toBe(`00-${SC.traceId}-${SC.spanId}-01`);
    expect(trace.getSpanContext(extractFromNatsHeaders(h))).toEqual({ ...SC, isRemote: true });
    const upper = headers();
    upper.set('Traceparent', `00-${SC.traceId}-${SC.spanId}-01`);
    expect(trace.getSpanContext(extractFromNatsHeaders(upper))?.spanId).toBe(SC.spanId);
    // Nothing to inject (no span in the context): headers are left as they are.
    expect(injectNatsHeaders(undefined, ROOT_CONTEXT)).toBeUndefined();
    expect(extractFromNatsHeaders(undefined)).toBe(ROOT_CONTEXT);
  });
});
