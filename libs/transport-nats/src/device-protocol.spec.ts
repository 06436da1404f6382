import { NasError } from '@hwnas/bench-core';
import { encodeMeasureRequest, errorReply, parseMeasureReply, parseMeasureRequest } from './device-protocol';

describe('device-protocol', () => {
  it('parseMeasureRequest - round-trips a request and names a bad field', () => {
    const req = { space: 'nb201', dataset: 'cifar10', arch: '|nor_conv_3x3~0|' };
    expect(parseMeasureRequest(encodeMeasureRequest(req))).toEqual(req);
    expect(() => parseMeasureRequest('{"space":"nb201","dataset":"cifar10"}')).toThrow(/"arch"/);
    expect(() => parseMeasureRequest('not json')).toThrow(/JSON/);
  });

  it('parseMeasureReply - reads metrics and errors, rejects anything else as internal', () => {
    expect(parseMeasureReply('{"metrics":{"eyeriss_latency":3.5}}')).toEqual({ metrics: { eyeriss_latency: 3.5 } });
    expect(parseMeasureReply('{"error":{"code":"invalid_argument","message":"bad arch"}}')).toEqual({ error: { code: 'invalid_argument', message: 'bad arch' } });
    expect(parseMeasureReply('{"error":{"code":"weird","message":"m"}}')).toEqual({ error: { code: 'internal', message: 'm' } });
    expect(() => parseMeasureReply('{"metrics":{"x":"1"}}')).toThrow(/finite number/);
    expect(() => parseMeasureReply('{}')).toThrow(/neither/);
  });

  it('errorReply - keeps NasError code and hides other errors', () => {
    expect(errorReply(new NasError('busy', 'unavailable', true))).toEqual({ error: { code: 'unavailable', message: 'busy', retryable: true } });
    expect(errorReply(new Error('secret path /x'))).toEqual({ error: { code: 'internal', message: 'internal error in the device agent', retryable: false } });
  });
});
