import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeResultChannelConformance, describeTaskQueueConformance, describeTrialJournalConformance, sampleEvent } from '@hwnas/runtime/testing';
import { FileTrialJournal } from '../file/trial-journal';
import { InMemoryResultChannel } from './result-channel';
import { InMemoryTaskQueue } from './task-queue';
import { InMemoryTrialJournal } from './trial-journal';

describeTaskQueueConformance('InMemoryTaskQueue', async () => {
  const queue = new InMemoryTaskQueue();
  return { queue: () => queue };
});

describeResultChannelConformance('InMemoryResultChannel', async () => {
  const channel = new InMemoryResultChannel();
  return { channel: () => channel };
});

describeTrialJournalConformance('InMemoryTrialJournal', async () => {
  const journal = new InMemoryTrialJournal();
  return { journal: () => journal };
});

describeTrialJournalConformance('FileTrialJournal', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-journal-'));
  const file = path.join(dir, 'journal.jsonl');
  const journal = new FileTrialJournal(file);
  return {
    // One writer per file: every handle of a test is the same instance; reopening is checked below.
    journal: () => journal,
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('FileTrialJournal', () => {
  it('FileTrialJournal - a reopened file holds every event, and a torn last line is dropped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-journal-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      const first = new FileTrialJournal(file);
      await first.append('a', [sampleEvent(1), sampleEvent(2)]);
      await first.append('b', [sampleEvent(3)]);
      appendFileSync(file, '{"searchId":"a","seq":3,"ev');
      const again = new FileTrialJournal(file);
      const seqs: number[] = [];
      for await (const e of again.read('a')) seqs.push(e.seq);
      expect(seqs).toEqual([1, 2]);
      expect(await again.list()).toEqual(['a', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('FileTrialJournal - a bad line in the middle names the file and line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-journal-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      writeFileSync(file, 'not json\n{"searchId":"a","seq":1,"event":{}}\n');
      expect(() => new FileTrialJournal(file)).toThrow(`${file}:1: journal line is not valid JSON`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
