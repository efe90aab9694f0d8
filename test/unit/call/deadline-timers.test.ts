import { DeadlineTimers, type Timed } from '../../../src/call';

/** A Timed that records when it expired (performance.now() clock). */
class Entry implements Timed {
  expiresAt = 0;
  timerPrev: Timed['timerPrev'] = null;
  timerNext: Timed['timerNext'] = null;
  timerList: Timed['timerList'] = null;
  expiredAt: number | undefined;

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly onExpire?: () => void,
  ) {}

  expire(): void {
    this.expiredAt = performance.now();
    this.log.push(this.name);
    this.onExpire?.();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('DeadlineTimers', () => {
  it('shares one Node timer among durations within the same millisecond (a server arms fractions)', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const armedAt = performance.now();
    const entries = [29.1, 29.5, 29.999, 30].map((ms, i) => {
      const e = new Entry(`e${i}`, log);
      timers.arm(e, ms);
      return e;
    });
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    setTimeoutSpy.mockRestore();
    await sleep(80);
    expect(log).toEqual(['e0', 'e1', 'e2', 'e3']);
    // Never early: each expired at or after its own duration (rounded up to the millisecond).
    for (const e of entries) expect((e.expiredAt as number) - armedAt).toBeGreaterThanOrEqual(30);
  });

  it('expires entries of one duration in the order they were armed, none before its time', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const a = new Entry('a', log);
    const b = new Entry('b', log);
    const armedA = performance.now();
    timers.arm(a, 30);
    await sleep(10);
    const armedB = performance.now();
    timers.arm(b, 30);
    await sleep(80);
    expect(log).toEqual(['a', 'b']);
    expect(a.expiredAt! - armedA).toBeGreaterThanOrEqual(30);
    expect(b.expiredAt! - armedB).toBeGreaterThanOrEqual(30);
    expect(timers.armed).toBe(0);
  });

  it('never expires a disarmed entry', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const a = new Entry('a', log);
    const b = new Entry('b', log);
    timers.arm(a, 20);
    timers.arm(b, 20);
    timers.disarm(a);
    expect(timers.armed).toBe(1);
    timers.disarm(b);
    expect(timers.armed).toBe(0);
    await sleep(40);
    expect(log).toEqual([]);
    timers.disarm(a); // disarming twice is harmless
  });

  it('holds no timer that keeps the process running', () => {
    const before = timeouts();
    const timers = new DeadlineTimers();
    const a = new Entry('a', []);
    timers.arm(a, 10_000);
    timers.arm(new Entry('b', []), 5_000);
    // Armed, but unref'd: process.getActiveResourcesInfo() lists only timers that hold the loop.
    expect(timeouts()).toBe(before);
    timers.disarm(a);
  });

  it('keeps expiring on time after its list emptied and filled again', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const first = new Entry('first', log);
    timers.arm(first, 30);
    timers.disarm(first); // the list's timer, armed for `first`, stays
    await sleep(10);
    const again = new Entry('again', log);
    const armedAt = performance.now();
    timers.arm(again, 30);
    await sleep(250);
    expect(log).toEqual(['again']);
    expect(again.expiredAt! - armedAt).toBeGreaterThanOrEqual(30);
    // Generous for a loaded machine; a timer lost with the emptied list would never fire at all.
    expect(again.expiredAt! - armedAt).toBeLessThan(180);
  });

  it('lets a short deadline armed after a long one expire first', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const long = new Entry('long', log);
    const short = new Entry('short', log);
    timers.arm(long, 400);
    timers.arm(short, 15);
    await sleep(100);
    expect(log).toEqual(['short']);
    await sleep(400);
    expect(log).toEqual(['short', 'long']);
  });

  it('keeps the head of a list on time when an entry behind it is disarmed', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const entries = ['a', 'b', 'c'].map((n) => new Entry(n, log));
    for (const e of entries) timers.arm(e, 25);
    timers.disarm(entries[1]);
    await sleep(60);
    expect(log).toEqual(['a', 'c']);
  });

  it('keeps the next entry on time when an expiry arms another into its list', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const late = new Entry('late', log);
    const again = new Entry('again', log);
    // `first` expires while `late`, 10 ms behind it in the same list, is not due yet, and arms
    // `again` (due much later) into the same list from inside its expiry.
    const first = new Entry('first', log, () => timers.arm(again, 40));
    timers.arm(first, 40);
    await sleep(10);
    const lateArmed = performance.now();
    timers.arm(late, 40);
    await sleep(250);
    expect(log).toEqual(['first', 'late', 'again']);
    expect(late.expiredAt! - lateArmed).toBeGreaterThanOrEqual(40);
    // On time: had it waited for a timer armed for `again`, it would be ~40 ms later. Generous
    // for a loaded machine.
    expect(late.expiredAt! - lateArmed).toBeLessThan(40 + 150);
  });

  it('waits out a deadline beyond the longest Node timer instead of firing at once', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error): number => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const far = new Entry('far', log);
      timers.arm(far, 30 * 24 * 3600 * 1000); // 30 days, past 2^31-1 ms
      await sleep(30);
      expect(log).toEqual([]);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
      timers.disarm(far);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('re-arms an entry that is armed again', async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const a = new Entry('a', log);
    timers.arm(a, 15);
    timers.arm(a, 400);
    expect(timers.armed).toBe(1);
    await sleep(100);
    expect(log).toEqual([]);
    timers.disarm(a);
  });
});
