import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, Simulator } from '../../src/engine/index.js';
import type { PoppedEvent } from '../../src/engine/event-queue.js';

describe('EventQueue', () => {
  it('pops by time, then by insertion order at equal times', () => {
    const q = new EventQueue(2);
    const log: string[] = [];
    const h = (p: unknown) => log.push(p as string);
    q.push(3, h, 'c1');
    q.push(1, h, 'a1');
    q.push(3, h, 'c2');
    q.push(2, h, 'b');
    q.push(1, h, 'a2');
    q.push(3, h, 'c3');
    const out: PoppedEvent = { time: 0, handler: h, payload: undefined };
    const times: number[] = [];
    while (q.popInto(out)) {
      times.push(out.time);
      out.handler(out.payload);
    }
    expect(log).toEqual(['a1', 'a2', 'b', 'c1', 'c2', 'c3']);
    expect(times).toEqual([1, 1, 2, 3, 3, 3]);
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Infinity);
    expect(q.popInto(out)).toBe(false);
  });

  it('matches a stable sort by time for any interleaving of pushes and pops (growing past capacity)', () => {
    // An op is either a push of a time from a small set (many ties) or a pop.
    const op = fc.oneof(fc.integer({ min: 0, max: 5 }).map((t) => ({ push: t })), fc.constant({ push: -1 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new EventQueue(4);
        const ref: { time: number; id: number }[] = [];
        const out: PoppedEvent = { time: 0, handler: () => {}, payload: undefined };
        let id = 0;
        let floor = 0; // times pushed are never below the last popped time, as in the simulator
        for (const o of ops) {
          if (o.push >= 0) {
            const t = floor + o.push;
            q.push(t, () => {}, id);
            ref.push({ time: t, id: id++ });
          } else if (ref.length > 0) {
            // Reference: earliest time, lowest id among those.
            let best = 0;
            for (let i = 1; i < ref.length; i++) {
              if (ref[i].time < ref[best].time || (ref[i].time === ref[best].time && ref[i].id < ref[best].id)) best = i;
            }
            const [want] = ref.splice(best, 1);
            expect(q.popInto(out)).toBe(true);
            expect(out.time).toBe(want.time);
            expect(out.payload).toBe(want.id);
            floor = want.time;
          }
          expect(q.size).toBe(ref.length);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('Simulator', () => {
  it('runs events in (time, scheduling order), including events scheduled at the current time', () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.schedule(2, () => log.push('t2-first'));
    sim.schedule(1, () => {
      log.push('t1-a');
      // Same time as a pending event: runs after it (later sequence number).
      sim.schedule(1, () => log.push('t1-c (scheduled by a)'));
      sim.after(0, () => log.push('t1-d (after 0)'));
      sim.after(1, () => log.push('t2-third (after 1)'));
    });
    sim.schedule(1, () => log.push('t1-b'));
    sim.schedule(2, () => log.push('t2-second'));
    sim.schedule(0.5, (p) => log.push(`t0.5 payload=${p}`), 42);
    sim.run();
    expect(log).toEqual([
      't0.5 payload=42',
      't1-a',
      't1-b',
      't1-c (scheduled by a)',
      't1-d (after 0)',
      't2-first',
      't2-second',
      't2-third (after 1)',
    ]);
    expect(sim.now).toBe(2);
    expect(sim.eventsRun).toBe(8);
    expect(sim.pending).toBe(0);
  });

  it('sees the event time as now inside a handler', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    for (const t of [0.25, 3, 1.5]) sim.schedule(t, () => seen.push(sim.now));
    sim.run();
    expect(seen).toEqual([0.25, 1.5, 3]);
  });

  it('throws when scheduling in the past or at a non-number time, and schedules nothing', () => {
    const sim = new Simulator();
    sim.schedule(5, () => {
      expect(() => sim.schedule(4.999, () => {})).toThrow(/before the current time 5/);
      expect(() => sim.after(-0.001, () => {})).toThrow();
      expect(() => sim.schedule(NaN, () => {})).toThrow();
      sim.schedule(5, () => {}); // now itself is allowed
    });
    sim.run();
    expect(sim.eventsRun).toBe(2);
    expect(sim.now).toBe(5);
    // After the run the clock stays at 5, so the past is still refused.
    expect(() => sim.schedule(1, () => {})).toThrow();
    expect(sim.pending).toBe(0);
  });

  it('run(until) runs events at times <= until, leaves later ones pending, and advances the clock to until', () => {
    const sim = new Simulator();
    const log: number[] = [];
    for (const t of [1, 2, 2, 3, 4]) sim.schedule(t, () => log.push(t));
    sim.run(2);
    expect(log).toEqual([1, 2, 2]); // until is inclusive
    expect(sim.now).toBe(2);
    expect(sim.pending).toBe(2);
    sim.run(2.5);
    expect(log).toEqual([1, 2, 2]);
    expect(sim.now).toBe(2.5); // the clock moves to until even with no event there
    expect(() => sim.schedule(2.4, () => {})).toThrow();
    sim.run();
    expect(log).toEqual([1, 2, 2, 3, 4]);
    expect(sim.now).toBe(4); // run() without until stops at the last event
    sim.run(10);
    expect(sim.now).toBe(10);
  });

  it('run(until) does not move the clock backwards when until is in the past', () => {
    const sim = new Simulator();
    sim.schedule(5, () => {});
    sim.run();
    sim.run(1);
    expect(sim.now).toBe(5);
  });

  it('stop() ends the run after the current event; a later run resumes where it stopped', () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.schedule(1, () => log.push('a'));
    sim.schedule(2, () => {
      log.push('b');
      sim.stop();
      log.push('b-after-stop'); // the handler itself finishes
    });
    sim.schedule(2, () => log.push('c'));
    sim.schedule(3, () => log.push('d'));
    sim.run(10);
    expect(log).toEqual(['a', 'b', 'b-after-stop']);
    expect(sim.now).toBe(2); // a stopped run(until) does not jump to until
    expect(sim.pending).toBe(2);
    sim.run();
    expect(log).toEqual(['a', 'b', 'b-after-stop', 'c', 'd']);
    expect(sim.now).toBe(3);
  });

  it('stop() outside a run does not prevent the next run', () => {
    const sim = new Simulator();
    let ran = 0;
    sim.schedule(1, () => ran++);
    sim.stop();
    sim.run();
    expect(ran).toBe(1);
  });

  it('is deterministic: the same schedule gives the same trace, many equal times included', () => {
    const trace = () => {
      const sim = new Simulator();
      const out: string[] = [];
      let n = 0;
      const spawn = (depth: number) => () => {
        out.push(`${sim.now}:${depth}:${n++}`);
        if (depth < 3) {
          sim.after(0, spawn(depth + 1));
          sim.after(1, spawn(depth + 1));
        }
      };
      for (let i = 0; i < 3; i++) sim.schedule(i % 2, spawn(0));
      sim.run();
      return out;
    };
    const a = trace();
    expect(a).toEqual(trace());
    // Times never decrease along the trace.
    const times = a.map((s) => Number(s.split(':')[0]));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    // 3 roots, each a binary tree of depth 3: 3 x 15 events.
    expect(a.length).toBe(45);
  });
});
