import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One live process, read from /proc (Linux). */
export interface ListedProcess {
  readonly pid: number;
  /** Its process group. */
  readonly pgid: number;
  /** Its command line, arguments joined by blanks. */
  readonly cmdline: string;
  /** Its working directory ('' when it cannot be read); a trainer's is its trial's work dir. */
  readonly cwd: string;
}

/** Every live (not zombie) process, from /proc; processes that end while it reads are left out. */
export function listProcesses(): ListedProcess[] {
  const out: ListedProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold blanks) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // Another user's process, or gone.
      }
      out.push({ pid: Number(entry), pgid: Number(fields[2]), cmdline, cwd });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Pids of the live processes of process group `pgid` (a trainer's group: its leader's pid). */
export function processGroupMembers(pgid: number): number[] {
  return listProcesses()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}
