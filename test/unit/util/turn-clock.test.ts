import { turnNowMs } from '../../../src/util';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Spins for `ms` milliseconds of real time. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('turnNowMs', () => {
  it('returns one time for the whole turn, promise reactions included, even as the clock moves', async () => {
    const first = turnNowMs();
    busyWait(5);
    expect(turnNowMs()).toBe(first);
    await Promise.resolve();
    expect(turnNowMs()).toBe(first);
    expect(performance.now() - first).toBeGreaterThanOrEqual(5);
  });

  it('reads the clock afresh in the next turn', async () => {
    const first = turnNowMs();
    busyWait(5);
    await nextTurn();
    const second = turnNowMs();
    expect(second - first).toBeGreaterThanOrEqual(5);
    expect(second).toBeLessThanOrEqual(performance.now());
  });
});
