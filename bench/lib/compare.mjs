// Runs the raw transport and our code alternately, round after round, and keeps the
// median of each: the machines this runs on are noisy, so only a ratio measured in one
// run means anything.
import { median } from "./stats.mjs";

/**
 * Runs `raw()` and `ours()` `rounds` times each, alternating which goes first, and
 * returns the medians of the numbers they return (higher is better unless told).
 */
export async function alternate(rounds, raw, ours, progress) {
  const rawValues = [];
  const ourValues = [];
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? [["raw", raw, rawValues], ["ours", ours, ourValues]] : [["ours", ours, ourValues], ["raw", raw, rawValues]];
    for (const [name, run, values] of order) {
      progress(`round ${round + 1}/${rounds}: ${name}`);
      values.push(await run());
    }
  }
  return { raw: median(rawValues), ours: median(ourValues), rawValues, ourValues };
}

/** A row of the results table. */
export function row(scenario, variant, unit, ours, raw, { target, higherIsBetter = true, note } = {}) {
  const ratio = raw === undefined || raw === null ? null : ours / raw;
  let pass = null;
  if (target !== undefined) pass = target.test({ ours, raw, ratio });
  return { scenario, variant, unit, ours, raw: raw ?? null, ratio, target: target?.text ?? null, pass, higherIsBetter, note: note ?? null };
}

/** A target on the ratio ours/raw. */
export const ratioAtLeast = (min) => ({ text: `ratio >= ${min}`, test: ({ ratio }) => ratio !== null && ratio >= min });
/** A target on our own figure. */
export const oursAtMost = (max, unit) => ({ text: `< ${max} ${unit}`, test: ({ ours }) => ours < max });
export const oursAtLeast = (min, unit) => ({ text: `>= ${min.toLocaleString("en-US")} ${unit}`, test: ({ ours }) => ours >= min });
