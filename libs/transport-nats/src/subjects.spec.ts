import { isNasError } from '@hwnas/bench-core';
import { createNames, decodeToken, encodeToken } from './subjects';

describe('subjects', () => {
  it('createNames - default prefix gives the documented names', () => {
    const n = createNames();
    expect(n.streams).toEqual({ eval: 'HWNAS_EVAL', results: 'HWNAS_RESULTS', journal: 'HWNAS_JOURNAL', reports: 'HWNAS_REPORTS' });
    expect(n.evalSubject('s1')).toBe('hwnas.eval.s1');
    expect(n.resultSubject('s1')).toBe('hwnas.results.s1');
    expect(n.journalSubject('s1')).toBe('hwnas.journal.s1');
    expect(n.deviceMeasureSubject('eyeriss')).toBe('hwnas.device.eyeriss.measure');
    expect(n.deviceHeartbeatSubject('fpga-zc706')).toBe('hwnas.device.heartbeat.fpga-zc706');
    expect(n.wildcards).toEqual({ eval: 'hwnas.eval.>', results: 'hwnas.results.>', journal: 'hwnas.journal.>', deviceHeartbeat: 'hwnas.device.heartbeat.*', workerHeartbeat: 'hwnas.worker.heartbeat.*', reports: 'hwnas.reports.*', stops: 'hwnas.stop.*' });
    expect(n.reportSubject('s-1')).toBe('hwnas.reports.s-1');
    expect(n.stopSubject('s.1')).toBe(`hwnas.stop.${encodeToken('s.1')}`);
    expect(n.workerHeartbeatSubject('w-1')).toBe('hwnas.worker.heartbeat.w-1');
    expect(n.costModelBucket).toBe('hwnas-cost-models');
  });

  it('createNames - a custom prefix isolates streams and subjects', () => {
    const n = createNames('t_42');
    expect(n.streams.eval).toBe('T_42_EVAL');
    expect(n.evalSubject('x')).toBe('t_42.eval.x');
    expect(n.costModelBucket).toBe('t_42-cost-models');
  });

  it('createNames - rejects prefixes that are not lower-case tokens', () => {
    for (const bad of ['', 'Hwnas', 'a.b', 'a-b', '1x', 'a b', 'a>']) {
      expect(() => createNames(bad)).toThrow(/prefix/);
    }
  });

  it('encodeToken - keeps plain ids and UUIDs readable', () => {
    expect(encodeToken('3f0c2a9e-8d1b-4c5e-9a7f-0b1c2d3e4f50')).toBe('3f0c2a9e-8d1b-4c5e-9a7f-0b1c2d3e4f50');
    expect(encodeToken('run_1')).toBe('run_1');
  });

  it('encodeToken - escapes characters that are not valid in a subject token, reversibly', () => {
    for (const id of ['a.b', 'a b', 'x*', '>', 'ünïcødé', 'a/b\\c', '~', '~abc', 'tab\there', 'emoji 🚀']) {
      const token = encodeToken(id);
      expect(token).toMatch(/^~[A-Za-z0-9_-]+$/);
      expect(decodeToken(token)).toBe(id);
    }
  });

  it('encodeToken - rejects the empty id with invalid_argument', () => {
    let err: unknown;
    try {
      encodeToken('');
    } catch (e) {
      err = e;
    }
    expect(isNasError(err) && err.code).toBe('invalid_argument');
  });

  it('decodeToken - refuses tokens that encodeToken never produces', () => {
    expect(decodeToken('a.b')).toBeUndefined();
    expect(decodeToken('~')).toBeUndefined();
    // `~` + base64url("abc") is not canonical: "abc" is encoded as itself.
    expect(decodeToken('~' + Buffer.from('abc').toString('base64url'))).toBeUndefined();
  });

  it('searchIdOfJournalSubject - maps journal subjects back to search ids', () => {
    const n = createNames('p');
    expect(n.searchIdOfJournalSubject(n.journalSubject('a.b c'))).toBe('a.b c');
    expect(n.searchIdOfJournalSubject('p.journal.s1')).toBe('s1');
    expect(n.searchIdOfJournalSubject('p.eval.s1')).toBeUndefined();
    expect(n.searchIdOfJournalSubject('p.journal.a.b')).toBeUndefined();
    expect(n.searchIdOfJournalSubject('q.journal.s1')).toBeUndefined();
  });
});
