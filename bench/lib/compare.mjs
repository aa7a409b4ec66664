// Runs the raw transport and our code alternately, round after round, and keeps the
// median of each: the machines this runs on are noisy, so only a ratio measured in one
// run means anything.
import { median } from "./stats.mjs";

/**
 * Runs `raw()` and `ours()` `rounds` times each, alternating which goes first, and
 * returns the medians of the numbers they return (higher is better unless told).
 */
export async function alternate(rounds, raw, ours, progress) {
  const { medians, values } = await rotate(rounds, { raw, ours }, progress);
  return { raw: medians.raw, ours: medians.ours, rawValues: values.raw, ourValues: values.ours };
}

/**
 * Runs each of `runs` (name -> function) `rounds` times, a round running each once and
 * each round starting one further along, and returns each one's median and values.
 */
export async function rotate(rounds, runs, progress) {
  const names = Object.keys(runs);
  const values = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < names.length; i += 1) {
      const name = names[(round + i) % names.length];
      progress(`round ${round + 1}/${rounds}: ${name}`);
      values[name].push(await runs[name]());
    }
  }
  const medians = Object.fromEntries(names.map((name) => [name, median(values[name])]));
  return { medians, values };
}

/** A row of the results table. */
export function row(scenario, variant, unit, ours, raw, { target, higherIsBetter = true, note } = {}) {
  // No ratio to a zero (events lost by both: 0/0) or to nothing.
  const ratio = raw === undefined || raw === null || raw === 0 ? null : ours / raw;
  let pass = null;
  if (target !== undefined) pass = target.test({ ours, raw, ratio });
  return { scenario, variant, unit, ours, raw: raw ?? null, ratio, target: target?.text ?? null, pass, higherIsBetter, note: note ?? null };
}

/** A target on the ratio ours/raw. */
export const ratioAtLeast = (min) => ({ text: `ratio >= ${min}`, test: ({ ratio }) => ratio !== null && ratio >= min });
/** A target on our own figure. */
export const oursAtMost = (max, unit) => ({ text: `< ${max} ${unit}`, test: ({ ours }) => ours < max });
export const oursAtLeast = (min, unit) => ({ text: `>= ${min.toLocaleString("en-US")} ${unit}`, test: ({ ours }) => ours >= min });
