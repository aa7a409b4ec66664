// The send queue on its own: one write in flight, call order kept, flush and close,
// failures handed to their callers (mapped), grouping of what waits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SendQueue } from "../../dist/internal.js";
import { Changes, until } from "../../dist/testing.js";

/** A writer whose writes finish when the test says: `release()` ends the oldest. */
function manualWriter() {
  const written = [];
  const open = [];
  const opened = new Changes();
  let inFlight = 0;
  let most = 0;
  const write = (item) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    return new Promise((resolve, reject) => {
      open.push({
        item,
        finish: (err) => {
          inFlight -= 1;
          if (err === undefined) {
            written.push(item);
            resolve();
          } else reject(err);
        },
      });
      opened.notify();
    });
  };
  const release = async (err) => {
    await until(() => open.length > 0, "the queue's next write", { changes: opened });
    open.shift().finish(err);
  };
  return { write, written, release, most: () => most, open };
}

describe("SendQueue", () => {
  it("writes one item at a time, in push order, however many are pushed at once", async () => {
    const writer = manualWriter();
    const queue = new SendQueue(writer.write);
    const pushed = [1, 2, 3, 4, 5].map((n) => queue.push(n));
    assert.equal(writer.open.length, 1, "an idle queue writes the first item at once");
    assert.equal(queue.length, 4);
    for (let i = 0; i < 5; i += 1) await writer.release();
    await Promise.all(pushed);
    assert.deepEqual(writer.written, [1, 2, 3, 4, 5]);
    assert.equal(writer.most(), 1);
    assert.equal(queue.length, 0);
  });

  it("flush() waits for what was accepted; close() refuses more", async () => {
    const writer = manualWriter();
    const queue = new SendQueue(writer.write);
    void queue.push("a");
    void queue.push("b");
    let flushed = false;
    const flushing = queue.flush().then(() => (flushed = true));
    await writer.release();
    assert.equal(flushed, false);
    await writer.release();
    await flushing;
    assert.deepEqual(writer.written, ["a", "b"]);
    await queue.close();
    await assert.rejects(queue.push("late"), { code: "PUBSUB_ERR_SEND" });
    await queue.flush(); // idle: returns at once
  });

  it("a failed write rejects its own push, mapped, and the queue goes on", async () => {
    const writer = manualWriter();
    const queue = new SendQueue(writer.write, undefined, (err) => new Error(`mapped: ${err.message}`));
    const first = queue.push("x");
    const second = queue.push("y");
    const third = queue.push("z");
    await writer.release(new Error("boom"));
    await assert.rejects(first, { message: "mapped: boom" });
    await writer.release(new Error("again"));
    await assert.rejects(second, { message: "mapped: again" });
    await writer.release();
    await third;
    assert.deepEqual(writer.written, ["z"]);
  });

  it("a write that throws at once rejects its push, not the caller", async () => {
    const queue = new SendQueue(() => {
      throw new Error("sync");
    });
    await assert.rejects(queue.push(1), { message: "sync" });
    await assert.rejects(queue.push(2), { message: "sync" });
    await queue.flush();
  });

  it("groups what waits behind a write, one item when idle", async () => {
    const writer = manualWriter();
    const groups = [];
    const queue = new SendQueue(writer.write, {
      size: (peek) => {
        let n = 0;
        while (peek(n) !== undefined && n < 3) n += 1;
        return n;
      },
      write: (items) => {
        groups.push(items);
        return writer.write(items.join("+"));
      },
    });
    const pushed = ["a", "b", "c", "d", "e"].map((item) => queue.push(item));
    for (let i = 0; i < 3; i += 1) await writer.release();
    await Promise.all(pushed);
    assert.deepEqual(writer.written, ["a", "b+c+d", "e"]);
    assert.deepEqual(groups, [["b", "c", "d"]]);
  });
});
