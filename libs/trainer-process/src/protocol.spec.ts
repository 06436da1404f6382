import { TrainerProtocolError } from './errors';
import { parseTrainerLine } from './protocol';

describe('parseTrainerLine', () => {
  it('parseTrainerLine - reads report, final and resumed lines', () => {
    expect(parseTrainerLine('{"hwnas":"report","epoch":3,"metrics":{"valid_accuracy":61.5,"train_loss":1.02}}')).toEqual({
      type: 'report',
      epoch: 3,
      metrics: { valid_accuracy: 61.5, train_loss: 1.02 },
    });
    expect(parseTrainerLine('  {"hwnas": "final", "epoch": 12, "metrics": {"accuracy": 63.2}}  ')).toEqual({ type: 'final', epoch: 12, metrics: { accuracy: 63.2 } });
    expect(parseTrainerLine('{"hwnas":"resumed","epoch":5}')).toEqual({ type: 'resumed', epoch: 5 });
  });

  it('parseTrainerLine - everything that is not a protocol line is a log line', () => {
    for (const line of ['', 'Epoch 1/12 loss=0.9', '{"loss": NaN}', '{not json', '[1,2]', 'x {"hwnas":"report"}']) {
      expect(parseTrainerLine(line)).toEqual({ type: 'log', line });
    }
  });

  it('parseTrainerLine - a NaN or Infinity metric is named as such', () => {
    expect(() => parseTrainerLine('{"hwnas": "report", "epoch": 1, "metrics": {"valid_accuracy": NaN}}')).toThrow(/non-finite value \(NaN\)/);
    expect(() => parseTrainerLine('{"hwnas": "final", "epoch": 1, "metrics": {"train_loss": -Infinity}}')).toThrow(/non-finite value \(-Infinity\)/);
    // A metric called "NaN" is a name, not a value: the line is simply truncated JSON.
    expect(() => parseTrainerLine('{"hwnas": "report", "epoch": 1, "metrics": {"NaN": 1')).toThrow(/not valid JSON/);
  });

  it('parseTrainerLine - malformed protocol lines fail with what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['{"hwnas":"report","epoch":1,"metrics":{', /not valid JSON/],
      ['{"hwnas":"progress","epoch":1}', /unknown type hwnas="progress"/],
      ['{"hwnas":"report","metrics":{"a":1}}', /needs "epoch"/],
      ['{"hwnas":"report","epoch":-1,"metrics":{"a":1}}', /non-negative integer/],
      ['{"hwnas":"report","epoch":1.5,"metrics":{"a":1}}', /non-negative integer/],
      ['{"hwnas":"final","epoch":1}', /needs "metrics"/],
      ['{"hwnas":"final","epoch":1,"metrics":{"accuracy":"63"}}', /metric "accuracy" is "63", not a finite number/],
      ['{"hwnas":"final","epoch":1,"metrics":{"accuracy":null}}', /metric "accuracy" is null/],
    ];
    for (const [line, reason] of cases) {
      expect(() => parseTrainerLine(line)).toThrow(TrainerProtocolError);
      expect(() => parseTrainerLine(line)).toThrow(reason);
    }
  });

  it('parseTrainerLine - keeps a validated arch on report and final lines, drops other extra fields', () => {
    expect(parseTrainerLine('{"hwnas":"report","epoch":2,"metrics":{"entropy":1.5},"arch":{"string":"|a|","encoding":[0,4,2]},"alpha":[[0.1]]}')).toEqual({
      type: 'report',
      epoch: 2,
      metrics: { entropy: 1.5 },
      arch: { string: '|a|', encoding: [0, 4, 2] },
    });
    expect(parseTrainerLine('{"hwnas":"final","epoch":2,"metrics":{"accuracy":50},"arch":{"string":"x","encoding":[]}}')).toMatchObject({ arch: { string: 'x', encoding: [] } });
    expect(() => parseTrainerLine('{"hwnas":"final","epoch":2,"metrics":{},"arch":"|a|"}')).toThrow(/"arch" must be/);
    expect(() => parseTrainerLine('{"hwnas":"final","epoch":2,"metrics":{},"arch":{"string":"a","encoding":[1,-1]}}')).toThrow(/arch.encoding\[1\] is -1/);
    expect(() => parseTrainerLine('{"hwnas":"report","epoch":2,"metrics":{},"arch":{"encoding":[1]}}')).toThrow(TrainerProtocolError);
  });
});
