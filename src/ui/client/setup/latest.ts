/**
 * Typing runs a preview: wait for a pause (debounce), then ask; of the answers, only the one to the latest request
 * is shown, so a slow early answer never replaces a newer one. Timers are handed in, so the unit tests drive them.
 * No DOM here.
 */

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface Latest<A> {
  /** Asks again after the pause; an earlier request not yet sent is dropped, one in flight is ignored when it answers. */
  request(input: A): void;
  /** Drops whatever is waiting or in flight (the form closed). */
  cancel(): void;
}

export function latestOnly<A, R>(
  run: (input: A) => Promise<R>,
  show: (settled: Settled<R>, input: A) => void,
  delayMs = 300,
  timers: Timers = realTimers,
): Latest<A> {
  let generation = 0;
  let timer: unknown = null;
  const stopTimer = () => {
    if (timer !== null) timers.clear(timer);
    timer = null;
  };
  return {
    request(input) {
      const mine = ++generation;
      stopTimer();
      timer = timers.set(() => {
        timer = null;
        run(input).then(
          (value) => mine === generation && show({ ok: true, value }, input),
          (error) => mine === generation && show({ ok: false, error }, input),
        );
      }, delayMs);
    },
    cancel() {
      generation++;
      stopTimer();
    },
  };
}
