/**
 * Work in steps: a generator that pauses (yields) between pieces of a long computation and returns
 * its result. The gateway resumes such steps between other requests (ADR 18); everyone else runs
 * them at once.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs steps to the end without pausing: what they return. */
export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Where steps pause inside a loop: `if (pause()) yield;` is true once per `n` counted, one per
 * call unless `by` says how many that call did.
 */
export function pauseEvery(n: number): (by?: number) => boolean {
  let since = 0;
  return (by = 1) => {
    since += by;
    if (since < n) return false;
    since = 0;
    return true;
  };
}
