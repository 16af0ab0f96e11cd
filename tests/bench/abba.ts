/**
 * Loads of this build and a baseline build in ABBA order — this build, the baseline, the baseline,
 * this build — `rounds` times over, so that the machine's drift in speed, which on a shared VM moves
 * a load's rate by a factor of two between runs minutes apart, falls on both sides alike. `first` is
 * this build's first load of the first round, already run (it may have been profiled). Returns
 * each round's two loads per side.
 */
export async function abbaRounds<T>(
  first: T,
  mine: () => Promise<T>,
  theirs: () => Promise<T>,
  rounds: number,
): Promise<{ mine: [T, T]; theirs: [T, T] }[]> {
  const done: { mine: [T, T]; theirs: [T, T] }[] = [];
  for (let round = 0; round < rounds; round++) {
    const a1 = round === 0 ? first : await mine();
    const b1 = await theirs();
    const b2 = await theirs();
    const a2 = await mine();
    done.push({ mine: [a1, a2], theirs: [b1, b2] });
  }
  return done;
}
