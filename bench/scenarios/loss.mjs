// 5. loss: a burst of 200,000 events with default settings, one awaited send each (a
// PUB socket never makes a send wait): events received and lost. The raw PUB socket keeps ZeroMQ's
// default high-water mark (1,000) and drops the rest silently; ours must lose none.
import { alternate, row } from "../lib/compare.mjs";
import { runOnce } from "../lib/topology.mjs";

export const name = "loss";
export const title = "loss: a burst of events (200,000 by default) with default settings";

export async function run({ burst, size, rounds, progress }) {
  const BURST = burst;
  const received = (impl) => async () => {
    const { results } = await runOnce({
      finish: "end",
      publisher: { impl, count: BURST, size },
      subscriber: { impl, expect: BURST },
    });
    return results[0].count;
  };
  const result = await alternate(rounds, received("raw"), received("ours"), progress);
  const lost = (value) => BURST - value;
  return [
    row(name, "events received", "events", result.ours, result.raw, {
      target: { text: `= ${BURST.toLocaleString("en-US")}`, test: ({ ours }) => ours === BURST },
    }),
    row(name, "events lost", "events", lost(result.ours), lost(result.raw), {
      higherIsBetter: false,
      target: { text: "= 0", test: ({ ours }) => ours === 0 },
    }),
  ];
}
