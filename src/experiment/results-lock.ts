import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../input-error.js';
import { processAlive } from './process-alive.js';

/** What a lock file holds: who runs in the directory, so the refusal can name them. */
export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  what: string;
}

/** A full run's lock; a shard takes its own (shards of one sweep may share a directory). */
const RUN_LOCK = 'run.lock';
const shardLock = (k: number, n: number) => `shard-${k}-of-${n}.lock`;
const LOCK_FILE = /^(run|shard-\d+-of-\d+|prepare)\.lock$/;
/** Held while a run prepares the directory (begin): shards sharing it do that one at a time. */
const PREPARE_LOCK = 'prepare.lock';
/** Longest wait for another process's preparation, ms: it copies files, it does not simulate. */
const PREPARE_WAIT_MS = 120_000;

/** Whether `file` (a bare name) is one of the lock files this module writes. */
export function isLockFile(file: string): boolean {
  return LOCK_FILE.test(file);
}

/**
 * A lock on a results directory held for the length of a run (or merge): a second run into the
 * same directory is refused with one line naming the holder, instead of deleting the first run's
 * files under it. A lock left by a process that died on this host is stale and taken over; one
 * from another host cannot be checked, so the message says which file to delete.
 */
export class ResultsLock {
  private constructor(
    readonly path: string,
    /** Set when a stale lock (dead process on this host) was replaced. */
    readonly replacedStale: LockHolder | undefined,
  ) {}

  /** Takes the lock of `dir` (which must exist); `shard` takes a shard's lock. */
  static acquire(dir: string, what: string, shard?: { index: number; count: number }): ResultsLock {
    const name = shard ? shardLock(shard.index, shard.count) : RUN_LOCK;
    const path = join(dir, name);
    const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), what };
    let replaced: LockHolder | undefined;
    for (let attempt = 0; ; attempt++) {
      if (createLockFile(path, me, dir)) break;
      const holder = readHolder(path);
      if (attempt === 0 && holder && isStale(holder)) {
        rmSync(path, { force: true });
        replaced = holder;
        continue;
      }
      throw busy(dir, path, holder);
    }
    const lock = new ResultsLock(path, replaced);
    // A full run conflicts with every shard, a shard with a full run (other shards are fine).
    for (const f of readdirSync(dir)) {
      if (f === name || !isLockFile(f)) continue;
      if (shard && f !== RUN_LOCK) continue;
      const other = join(dir, f);
      const holder = readHolder(other);
      if (holder && isStale(holder)) {
        rmSync(other, { force: true });
        continue;
      }
      lock.release();
      throw busy(dir, other, holder);
    }
    return lock;
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function busy(dir: string, path: string, holder: LockHolder | undefined): InputError {
  const who = holder
    ? `${holder.what} (pid ${holder.pid} on ${holder.host}, started ${holder.started})`
    : 'another run (its lock file is unreadable)';
  return new InputError(`results directory is in use by ${who}; wait for it, or delete ${path} if that run is gone`, dir);
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(h?.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A lock whose process is gone; only checkable for locks taken on this host. */
function isStale(h: LockHolder): boolean {
  return h.host === hostname() && h.pid !== process.pid && !processAlive(h.pid);
}

/**
 * Creates the lock file `path` holding `holder`; false when it exists already. A write that
 * fails (a full disk) removes the file again: an empty lock would block every later run.
 */
function createLockFile(path: string, holder: object, dir: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new InputError(`cannot create lock file ${basename(path)} (${code ?? String(err)})`, dir);
  }
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
    closeSync(fd);
    return true;
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw new InputError(`cannot create lock file ${basename(path)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, dir);
  }
}

/**
 * Runs `fn` holding the directory's prepare lock. Shards may share a directory, and each
 * prepares it when it starts (sets a finished run aside, removes the points it reruns): one at
 * a time, so that a shard never deletes what another is copying. A lock whose process is gone on
 * this host is taken over; one that outlasts PREPARE_WAIT_MS (a process on another host that
 * died) too.
 */
export function withPrepareLock<T>(dir: string, fn: () => T, now: () => number = () => performance.now()): T {
  const path = join(dir, PREPARE_LOCK);
  const started = now();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (createLockFile(path, { pid: process.pid, host: hostname() }, dir)) break;
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // being written, or left empty: wait, then the time limit decides
    }
    const gone = holder.host === hostname() && !processAlive(Number(holder.pid));
    if (gone || now() - started > PREPARE_WAIT_MS) {
      rmSync(path, { force: true });
      continue;
    }
    Atomics.wait(pause, 0, 0, 20);
  }
  try {
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}
