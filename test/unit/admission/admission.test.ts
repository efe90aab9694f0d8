import { Admission, MethodStats, type QueuedCall, resolveAdmission, Sample, type ShedReason, Verdict } from '../../../src/admission';
import { configError } from '../../helpers/config-error';

function expectConfigError(fn: () => unknown, code: string, text: string): void {
  const err = configError(fn);
  expect(err.code).toBe(code);
  expect(err.message).toContain(text);
}

/** A fake clock and a `defer` the test runs by hand. */
class Loop {
  now = 1_000;
  readonly deferred: Array<() => void> = [];
  readonly deps = { now: () => this.now, defer: (fn: () => void) => this.deferred.push(fn), sweepEveryMs: false as const, backstop: false };
  /** Runs what was deferred (one turn of the check phase). */
  turn(): void {
    for (const fn of this.deferred.splice(0)) fn();
  }
}

/** A queued call that records what admission did with it; started calls run `runMs` synchronously. */
class FakeCall implements QueuedCall {
  done = false;
  startedAt = -1;
  shedAs: ShedReason | undefined;
  retryAfterMs = -1;
  constructor(
    readonly name: string,
    readonly stats: MethodStats,
    readonly arrivedAtMs: number,
    readonly deadlineAtMs: number,
    private readonly adm: () => Admission,
    private readonly loop: Loop,
    private readonly runMs: number,
    readonly peerAddress = '127.0.0.1:1',
  ) {}
  start(nowMs: number): void {
    this.startedAt = nowMs;
    if (this.runMs < 0) return; // async: the test finishes it
    this.loop.now += this.runMs;
    this.adm().ran(this.runMs, this.loop.now);
    this.adm().finish(this.stats, nowMs, this.loop.now, false, Sample.FULL);
  }
  shed(reason: ShedReason, retryAfterMs: number): void {
    this.shedAs = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

function setup(options: Parameters<typeof resolveAdmission>[1] = {}): { loop: Loop; adm: Admission; stats: MethodStats } {
  const loop = new Loop();
  const adm = new Admission(resolveAdmission('admission', options) as never, loop.deps);
  return { loop, adm, stats: new MethodStats('S', 'm') };
}

/** Arrives a call now: RUN runs it (sync, `runMs`), QUEUE queues it; returns the call and the verdict. */
function arrive(loop: Loop, adm: Admission, stats: MethodStats, name: string, budgetMs: number, runMs = 2): { call: FakeCall; verdict: number } {
  const call = new FakeCall(name, stats, loop.now, loop.now + budgetMs, () => adm, loop, runMs);
  const verdict = adm.admit(stats, call.deadlineAtMs, budgetMs, loop.now);
  if (verdict === Verdict.RUN) {
    call.startedAt = loop.now;
    loop.now += runMs;
    adm.ran(runMs, loop.now);
    adm.finish(stats, call.startedAt, loop.now, false, Sample.FULL);
  } else if (verdict === Verdict.QUEUE) {
    adm.enqueue(call, loop.now);
  }
  return { call, verdict };
}

describe('Admission', () => {
  it('runs a call at once when nothing is queued, with nothing allocated for it', () => {
    const { loop, adm, stats } = setup();
    expect(adm.admit(stats, loop.now + 100, 100, loop.now)).toBe(Verdict.RUN);
    expect(adm.running).toBe(1);
    adm.finish(stats, loop.now, loop.now + 1, false, Sample.FULL);
    expect(adm.running).toBe(0);
    expect(stats.serviceMs).toBe(1);
  });

  it('refuses a call whose deadline has passed, or is closer than the method recent service time', () => {
    const { loop, adm, stats } = setup();
    expect(adm.admit(stats, loop.now, 0, loop.now)).toBe(Verdict.SHED_DEADLINE);
    stats.addSample(10);
    expect(adm.admit(stats, loop.now + 9, 9, loop.now)).toBe(Verdict.SHED_DEADLINE);
    expect(adm.admit(stats, loop.now + 11, 11, loop.now)).toBe(Verdict.RUN);
  });

  it('queues calls past the async limit and starts them in arrival order as slots free up', () => {
    const { loop, adm, stats } = setup({ limit: 2 });
    expect(adm.admit(stats, loop.now + 1000, 1000, loop.now)).toBe(Verdict.RUN);
    expect(adm.admit(stats, loop.now + 1000, 1000, loop.now)).toBe(Verdict.RUN);
    const a = arrive(loop, adm, stats, 'a', 1000, -1);
    const b = arrive(loop, adm, stats, 'b', 1000, -1);
    expect([a.verdict, b.verdict]).toEqual([Verdict.QUEUE, Verdict.QUEUE]);
    loop.turn();
    expect(a.call.startedAt).toBe(-1); // no slot yet
    adm.finish(stats, loop.now, loop.now + 1, true, Sample.FULL);
    loop.turn();
    expect(a.call.startedAt).toBeGreaterThan(0);
    expect(b.call.startedAt).toBe(-1);
    loop.now += 1;
    adm.finish(stats, loop.now, loop.now + 1, true, Sample.FULL);
    loop.turn();
    expect(b.call.startedAt).toBeGreaterThan(a.call.startedAt);
  });

  it('yields to I/O after a slice of synchronous handler time: later arrivals queue, then start in the next check phase', () => {
    const { loop, adm, stats } = setup();
    const first = arrive(loop, adm, stats, 'first', 1000, 6);
    expect(first.verdict).toBe(Verdict.RUN);
    const second = arrive(loop, adm, stats, 'second', 1000, 1);
    expect(second.verdict).toBe(Verdict.QUEUE);
    loop.turn();
    expect(second.call.startedAt).toBeGreaterThan(0);
    // A gap with no handler running means the loop went back to I/O: a fresh slice.
    loop.now += 5;
    expect(arrive(loop, adm, stats, 'third', 1000, 1).verdict).toBe(Verdict.RUN);
  });

  it('refuses a queued call once it has waited longer than maxQueueMs, as overloaded, with retryAfterMs', () => {
    const { loop, adm, stats } = setup({ limit: 1, maxQueueMs: 50 });
    expect(adm.admit(stats, loop.now + 10_000, 10_000, loop.now)).toBe(Verdict.RUN); // holds the only slot
    const waiting = arrive(loop, adm, stats, 'w', 10_000);
    loop.now += 51;
    adm.sweep(loop.now);
    expect(waiting.call.shedAs).toBe('QUEUE_TIMEOUT');
    expect(waiting.call.retryAfterMs).toBeGreaterThanOrEqual(10);
    expect(adm.shedTotal).toBe(1);
  });

  it('refuses a queued call whose deadline can no longer be met, before it starts', () => {
    const { loop, adm, stats } = setup({ limit: 1 });
    stats.addSample(20);
    expect(adm.admit(stats, loop.now + 10_000, 10_000, loop.now)).toBe(Verdict.RUN);
    const waiting = arrive(loop, adm, stats, 'w', 100);
    loop.now += 85; // 15 ms left, the method takes 20
    adm.finish(stats, loop.now - 20, loop.now, true, Sample.NONE);
    loop.turn();
    expect(waiting.call.shedAs).toBe('DEADLINE');
    expect(waiting.call.startedAt).toBe(-1);
  });

  it('drops calls that were cancelled while queued without running or answering them', () => {
    const { loop, adm, stats } = setup({ limit: 1 });
    expect(adm.admit(stats, loop.now + 1000, 1000, loop.now)).toBe(Verdict.RUN);
    const w = arrive(loop, adm, stats, 'w', 1000);
    w.call.done = true;
    adm.finish(stats, loop.now, loop.now + 1, true, Sample.NONE);
    loop.turn();
    expect(w.call.startedAt).toBe(-1);
    expect(w.call.shedAs).toBeUndefined();
    expect(adm.queued).toBe(0);
  });

  it('turns to LIFO once a standing queue forms, and refuses the oldest past the CoDel target', () => {
    // 2 ms handlers arriving every 1 ms: twice what one event loop can run.
    const { loop, adm, stats } = setup({ maxQueueMs: 100 });
    const calls: FakeCall[] = [];
    for (let t = 0; t < 400; t++) {
      calls.push(arrive(loop, adm, stats, `c${t}`, 1000, 2).call);
      loop.now += 1;
      if (t % 5 === 4) loop.turn();
    }
    expect(adm.isStanding).toBe(true);
    const started = calls.filter((c) => c.startedAt >= 0);
    const shed = calls.filter((c) => c.shedAs !== undefined);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.every((c) => c.shedAs === 'QUEUE_TIMEOUT')).toBe(true);
    // Late in the run the calls that start are fresh ones (LIFO): they waited far less than the target.
    const late = started.filter((c) => c.arrivedAtMs > 1_200);
    expect(late.length).toBeGreaterThan(0);
    const waits = late.map((c) => c.startedAt - c.arrivedAtMs).sort((x, y) => x - y);
    expect(waits[Math.floor(waits.length / 2)]).toBeLessThan(adm.targetMs);
    // Nothing waits in the queue much longer than the target once it stands.
    adm.sweep(loop.now);
    const queuedAges = calls.filter((c) => c.startedAt < 0 && c.shedAs === undefined).map((c) => loop.now - c.arrivedAtMs);
    expect(Math.max(0, ...queuedAges)).toBeLessThanOrEqual(adm.targetMs + 1);
  });

  it('stays LIFO through a moment of empty queue, and leaves it once the queue stayed empty for an interval', () => {
    const { loop, adm, stats } = setup({ maxQueueMs: 100 });
    for (let t = 0; t < 400; t++) {
      arrive(loop, adm, stats, `c${t}`, 1000, 2);
      loop.now += 1;
      if (t % 5 === 4) loop.turn();
    }
    expect(adm.isStanding).toBe(true);
    // Let the queue run dry, then a burst 5 ms later: still the same overload, still LIFO.
    for (let i = 0; i < 200 && adm.queued > 0; i++) {
      loop.now += 1;
      loop.turn();
    }
    expect(adm.queued).toBe(0);
    loop.now += 5;
    arrive(loop, adm, stats, 'again', 1000, 2);
    expect(adm.isStanding).toBe(true);
    loop.turn();
    // Quiet for longer than an interval: the next queue starts FIFO.
    for (let i = 0; i < 10; i++) {
      loop.now += 20;
      loop.turn();
    }
    expect(adm.queued).toBe(0);
    arrive(loop, adm, stats, 'later-a', 1000, 2);
    arrive(loop, adm, stats, 'later-b', 1000, 2);
    arrive(loop, adm, stats, 'later-c', 1000, 2);
    arrive(loop, adm, stats, 'later-d', 1000, 2);
    expect(adm.isStanding).toBe(false);
    loop.turn();
  });

  it('leaves LIFO when the queue empties, and sheds nothing at 80% of what the loop can run', () => {
    const { loop, adm, stats } = setup();
    // 2 ms handlers, one every 2.5 ms on average (bursty: 2 at once, then a 5 ms pause).
    for (let t = 0; t < 2_000; t++) {
      arrive(loop, adm, stats, `a${t}`, 100, 2);
      arrive(loop, adm, stats, `b${t}`, 100, 2);
      loop.turn();
      loop.now += 1;
    }
    loop.turn();
    expect(adm.shedTotal).toBe(0);
    expect(adm.isStanding).toBe(false);
  });

  it('counts sheds per second and reports its load', () => {
    const { loop, adm, stats } = setup({ limit: 3 });
    for (let i = 0; i < 5; i++) adm.recordShed(stats, 'QUEUE_FULL', 0, 'p', loop.now);
    loop.now += 1_000;
    const load = adm.load();
    expect(load).toEqual({ concurrency: 0, limit: 3, queued: 0, shedPerSecond: 5, eventLoopUtilization: expect.any(Number) });
  });

  it('tells its listener of every refusal', () => {
    const { loop, adm, stats } = setup();
    const seen: unknown[] = [];
    adm.onShed = (e) => seen.push(e);
    adm.recordShed(stats, 'DEADLINE', 3, '127.0.0.1:9', loop.now);
    expect(seen).toEqual([{ service: 'S', method: 'm', reason: 'DEADLINE', waitedMs: 3, peer: '127.0.0.1:9' }]);
  });

  it('switches parts off for the ablation: without deadline checks an expired call runs', () => {
    const loop = new Loop();
    const adm = new Admission(resolveAdmission('admission', {}, { deadline: false }) as never, loop.deps);
    expect(adm.admit(new MethodStats('S', 'm'), loop.now - 1, 0, loop.now)).toBe(Verdict.RUN);
  });
});

describe('resolveAdmission', () => {
  it('is on by default, off with false, and takes a fixed limit and maxQueueMs', () => {
    expect(resolveAdmission('a', undefined)).toMatchObject({ fixedLimit: undefined, maxQueueMs: undefined });
    expect(resolveAdmission('a', false)).toBe(false);
    expect(resolveAdmission('a', { limit: 'adaptive', maxQueueMs: 50 })).toMatchObject({ fixedLimit: undefined, maxQueueMs: 50 });
    expect(resolveAdmission('a', { limit: 8 })).toMatchObject({ fixedLimit: 8 });
  });

  it('refuses bad values at construction, naming the option', () => {
    expectConfigError(() => resolveAdmission('createApp options.admission', { limit: 0 }), 'RIVET_ERR_INVALID_OPTION', 'createApp options.admission.limit');
    expectConfigError(() => resolveAdmission('createApp options.admission', { limit: 'auto' }), 'RIVET_ERR_INVALID_OPTION', "'adaptive'");
    expectConfigError(() => resolveAdmission('createApp options.admission', { maxQueueMs: -1 }), 'RIVET_ERR_INVALID_OPTION', 'maxQueueMs');
    expectConfigError(() => resolveAdmission('createApp options.admission', { maxQueue: 5 }), 'RIVET_ERR_UNKNOWN_OPTION', 'maxQueue');
    expectConfigError(() => resolveAdmission('createApp options.admission', 'on'), 'RIVET_ERR_INVALID_OPTION', 'createApp options.admission');
  });
});
