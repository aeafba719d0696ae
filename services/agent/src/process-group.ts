// The experiment leads its own process group (spawned detached), so everything it starts can be found
// in /proc by group id, signalled together, and measured together.
import { readdir, readFile } from 'node:fs/promises';

export interface GroupMember {
  pid: number;
  state: string;
}

/** Signals the whole group; false when no process of it is left. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * The live (not zombie) processes of the group, or null when /proc cannot be read (not Linux). A zombie
 * is dead already and only waits for a parent that may never reap it.
 */
export async function listProcessGroup(pgid: number): Promise<GroupMember[] | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const members: GroupMember[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
      if (stat === null) return;
      const fields = parseStat(stat);
      if (fields && fields.pgrp === pgid && fields.state !== 'Z') members.push({ pid: Number(entry), state: fields.state });
    }),
  );
  return members;
}

/** Whether anything of the group still runs. Without /proc, asks the kernel (which counts zombies too). */
export async function isProcessGroupAlive(pgid: number): Promise<boolean> {
  const members = await listProcessGroup(pgid);
  if (members !== null) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sum of the resident set sizes of the group's processes in KiB, or null when /proc is unavailable. */
export async function readProcessGroupRssKib(pgid: number): Promise<number | null> {
  const members = await listProcessGroup(pgid);
  if (members === null) return null;
  const sizes = await Promise.all(members.map((member) => readRssKib(member.pid)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

async function readRssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) : 0;
}

/** `/proc/PID/stat`: "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses. */
export function parseStat(stat: string): { state: string; ppid: number; pgrp: number } | null {
  const end = stat.lastIndexOf(')');
  if (end === -1) return null;
  const fields = stat.slice(end + 2).split(' ');
  if (fields.length < 3) return null;
  return { state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

export interface PeakMemorySampler {
  /** Stops sampling; the peak in MB (one decimal), or null when nothing could be measured. */
  stop(): number | null;
}

export function samplePeakMemory(pgid: number, intervalMs = 500): PeakMemorySampler {
  let peakKib: number | null = null;
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const kib = await readProcessGroupRssKib(pgid);
      if (kib !== null && kib > 0) peakKib = Math.max(peakKib ?? 0, kib);
    } finally {
      busy = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peakKib === null ? null : Math.round((peakKib / 1024) * 10) / 10;
    },
  };
}
