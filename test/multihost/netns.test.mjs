// Three hosts as Linux network namespaces on one LAN (veth links to a bridge), each
// running the whole topology of a real deployment: a worker (`pubsub-run publish
// --stdin`) -> IPC -> `pubsub-run service` bound to the host's own address -> the LAN ->
// `pubsub-run subscribe` processes in the two other hosts. Then one host's link goes
// down until the heartbeats drop its connections, and comes back up.
// Needs root (ip netns); skipped with the reason otherwise.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeProject } from "../helpers/fixtures.mjs";
import { makeLan, netnsSkipReason } from "../helpers/netns.mjs";
import { processStarter } from "../helpers/process.mjs";

const skip = await netnsSkipReason();
const start = processStarter();

/** Every host binds the same port, on its own address. */
const PORT = 8866;
/** Events each worker publishes in each phase: before, during and after the outage. */
const PER_PHASE = 50;
/**
 * Short heartbeats so a link down drops connections within seconds; libzmq times them
 * in its I/O thread, so a busy event loop does not make a healthy link look dead.
 */
const HEARTBEATS = [
  "--set",
  "zmq.heartbeat_interval_ms=250",
  "--set",
  "zmq.publisher_heartbeat_interval_ms=250",
  "--set",
  "zmq.heartbeat_timeout_ms=1500",
];

/** Worker lines for events `from` .. `to - 1` of `host`: table the host, key the number. */
function workerLines(host, from, to) {
  let text = "";
  for (let seq = from; seq < to; seq += 1)
    text += `${JSON.stringify({ table: host.name, key: String(seq), action: "set", value: { seq } })}\n`;
  return text;
}

/** Matches a `--json --stats` line of a service whose counters pass `check`. */
function statsLine(what, check) {
  return {
    test: (line) => {
      if (!line.includes('"msg":"stats')) return false;
      return check(JSON.parse(line));
    },
    toString: () => `a stats line with ${what}`,
  };
}

/** A line printed for event `seq`. */
function eventKey(seq) {
  return new RegExp(`"key":"${seq}"`);
}

/** The counters of `pubsub-run subscribe`'s last stderr line: `stopped; delivered 10, syncs 1, ...`. */
function stoppedCounters(subscriber) {
  const line = subscriber.stderr.find((l) => l.includes("pubsub-run subscribe: stopped; "));
  assert.ok(line, subscriber.stderr.join("\n"));
  const text = line.slice(line.indexOf("stopped; ") + "stopped; ".length);
  return Object.fromEntries(text.split(", ").map((pair) => [pair.split(" ")[0], Number(pair.split(" ")[1])]));
}

describe("three hosts as network namespaces on one LAN", { skip }, () => {
  let lan;
  const projects = [];
  before(async () => {
    lan = await makeLan(3);
  });
  after(async () => {
    await lan?.remove();
    await Promise.all(projects.map((p) => p.cleanup()));
  });

  it("each host's events reach the subscribers of the others in order; a link down and up ends in sync, then delivery resumes", async () => {
    const { hosts } = lan;
    // One project folder per host: its config search root and its service's IPC socket.
    const homes = [];
    for (const host of hosts) {
      const project = await makeProject();
      projects.push(project);
      homes.push({ cwd: project.dir, socket: join(project.dir, "publisher.sock"), launcher: host.launcher });
    }
    const inbox = (i) => ["--set", `publisher_multiproc_socket=${homes[i].socket}`];

    const services = hosts.map((host, i) =>
      start(
        [
          "service",
          "--json",
          "--stats",
          "0.1",
          "--set",
          `publisher_bind_address=${host.address}`,
          "--set",
          `publisher_port=${PORT}`,
          ...inbox(i),
          ...HEARTBEATS,
        ],
        homes[i],
      ),
    );
    for (const [i, service] of services.entries()) {
      const ready = JSON.parse(await service.waitFor(/"msg":"ready/));
      assert.equal(ready.network, `tcp://${hosts[i].address}:${PORT}`);
    }

    // A subscriber process in every host for each other host's publisher, over the LAN.
    const pairs = [];
    for (const [s, at] of hosts.entries()) {
      for (const [p, of] of hosts.entries()) {
        if (s === p) continue;
        const uri = `tcp://${of.address}:${PORT}`;
        const subscriber = start(["subscribe", "--publisher", uri, ...HEARTBEATS], homes[s]);
        pairs.push({ at, of, uri, subscriber, name: `${at.name} <- ${of.name}` });
      }
    }
    for (const { subscriber, uri } of pairs) await subscriber.waitFor(new RegExp(`connected to ${uri.replaceAll(".", "\\.")}`));

    const workers = hosts.map((host, i) => start(["publish", "--stdin", ...inbox(i)], homes[i]));
    const publish = (from, to) => workers.forEach((worker, i) => worker.write(workerLines(hosts[i], from, to)));

    // Before: everyone gets everything.
    publish(0, PER_PHASE);
    for (const { subscriber } of pairs) await subscriber.waitFor(eventKey(PER_PHASE - 1), "stdout");

    // h3's link goes down; it stays down until each service dropped the connections over
    // it (h3's service both of its subscribers, h1's and h2's the one in h3).
    const cut = hosts[2];
    const affected = pairs.filter((pair) => pair.at === cut || pair.of === cut);
    const unaffected = pairs.filter((pair) => !affected.includes(pair));
    await cut.linkDown();
    for (const [i, service] of services.entries()) {
      const lost = hosts[i] === cut ? 2 : 1;
      await service.waitFor(statsLine(`connections.lost >= ${lost}`, (s) => s.connections?.lost >= lost));
    }

    // During: the events go out (every service relayed them), over the links still up only.
    publish(PER_PHASE, 2 * PER_PHASE);
    for (const service of services) await service.waitFor(statsLine(`relayed >= ${2 * PER_PHASE}`, (s) => s.relayed >= 2 * PER_PHASE));
    for (const { subscriber } of unaffected) await subscriber.waitFor(eventKey(2 * PER_PHASE - 1), "stdout");

    // Back up: every subscriber across the link reconnects and is told "sync".
    await cut.linkUp();
    for (const { subscriber } of affected) {
      await subscriber.waitFor(/"action":"sync"/, "stdout");
      await subscriber.waitForCount(/connected to/, 2, "stderr");
    }

    // After: delivery resumes everywhere.
    publish(2 * PER_PHASE, 3 * PER_PHASE);
    for (const { subscriber } of pairs) await subscriber.waitFor(eventKey(3 * PER_PHASE - 1), "stdout");

    for (const worker of workers) {
      worker.write("", true);
      assert.deepEqual(await worker.exit(), { code: 0, signal: null }, worker.stderr.join("\n"));
    }
    for (const { subscriber } of pairs) {
      subscriber.kill("SIGTERM");
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });
    }

    const all = [...Array(3 * PER_PHASE).keys()];
    for (const { subscriber, of, name } of pairs) {
      const lines = subscriber.stdout.map((line) => JSON.parse(line));
      const events = lines.filter((event) => event.action !== "sync");
      assert.ok(
        events.every((event) => event.table === of.name),
        `${name}: only ${of.name}'s events`,
      );
      const keys = events.map((event) => Number(event.key));
      const counters = stoppedCounters(subscriber);
      assert.equal(counters.duplicates, 0, `${name}: no duplicates`);
      if (affected.some((pair) => pair.subscriber === subscriber)) {
        // What was sent during the outage is lost to it, and signalled: "sync" before the
        // next event, and the sequence gap counted (received + missed = published).
        const expected = all.filter((seq) => seq < PER_PHASE || seq >= 2 * PER_PHASE);
        assert.deepEqual(keys, expected, `${name}: the events before and after the outage, in order`);
        const sync = lines.findIndex((event) => event.action === "sync");
        assert.equal(sync, PER_PHASE, `${name}: "sync" between event ${PER_PHASE - 1} and event ${2 * PER_PHASE}`);
        assert.ok(counters.syncs >= 1, `${name}: syncs counted`);
        assert.equal(counters.missed, PER_PHASE, `${name}: the events of the outage counted as missed`);
        assert.ok(counters.gaps >= 1, `${name}: the gap counted`);
      } else {
        assert.deepEqual(keys, all, `${name}: every event, in order`);
        assert.equal(lines.length, events.length, `${name}: no "sync" on a link that stayed up`);
        assert.equal(counters.missed, 0, `${name}: nothing missed`);
      }
    }

    for (const service of services) {
      service.kill("SIGTERM");
      assert.deepEqual(await service.exit(), { code: 0, signal: null });
    }
  });
});
