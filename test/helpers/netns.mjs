// Hosts as Linux network namespaces, for multi-host tests over real interfaces:
//
//   const reason = await netnsSkipReason();       // undefined when namespaces can be made
//   const lan = await makeLan(3);                 // { hosts, remove() }
//   lan.hosts[0].launcher                         // ["ip", "netns", "exec", <name>]: run a command in it
//   await lan.hosts[2].linkDown();                // its only link, down; linkUp() brings it back
//
// Each host is a namespace with one interface, eth0, at 10.213.0.<n>/24; the other end of
// its veth pair is a port of a bridge in a namespace of its own, so the hosts share a LAN.
// Only namespaces this module creates are touched: the links are made inside them, never
// in the namespace the tests run in, and nothing reaches any outside network. Names carry
// the test process's pid, so parallel runs do not collide. Everything is removed by
// remove(), and also when the process exits or gets SIGINT/SIGTERM, whatever became of
// the test; a process still running in a namespace then is killed (it would keep the
// namespace and its links alive).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The LAN's /24: private, and only ever inside the namespaces made here. */
const SUBNET = "10.213.0";

/** Namespaces still to remove when the process exits. */
const made = new Set();

/** The ids of the processes running in namespace `name` (all started by the tests, in it). */
function pidsIn(name) {
  const { stdout } = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" });
  return (stdout ?? "").split("\n").filter(Boolean).map(Number);
}

/**
 * Stops what still runs in namespace `name` and deletes it: a namespace lives on,
 * links and all, while a process is in it.
 */
function removeNamespace(name) {
  for (const pid of pidsIn(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  spawnSync("ip", ["netns", "del", name]);
  made.delete(name);
}

function removeMadeNow() {
  for (const name of made) removeNamespace(name);
}
process.once("exit", removeMadeNow);

/** SIGINT/SIGTERM while namespaces exist: remove them, then die of the signal as before. */
function onSignal(signal) {
  removeMadeNow();
  process.kill(process.pid, signal);
}

function watchSignals(on) {
  for (const signal of ["SIGINT", "SIGTERM"]) {
    if (on) process.once(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

async function ip(args) {
  await execFileAsync("ip", args);
}

/** Runs `ip args...` inside namespace `ns`. */
function ipIn(ns, args) {
  return ip(["netns", "exec", ns, "ip", ...args]);
}

/** The first line of what a failed command said, for a skip reason. */
function firstLine(err) {
  const text = typeof err?.stderr === "string" && err.stderr.trim() !== "" ? err.stderr : String(err?.message ?? err);
  return text.trim().split("\n")[0];
}

/**
 * Why network namespaces cannot be used here (not Linux, not root, no `ip`, or
 * `ip netns add` refused, as in a container without CAP_NET_ADMIN), or undefined when
 * they can: a probe namespace is made and removed.
 */
export async function netnsSkipReason() {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "needs root to create network namespaces (ip netns add)";
  const probe = `psr-${process.pid}-probe`;
  try {
    await ip(["netns", "add", probe]);
  } catch (err) {
    return `ip netns add failed: ${firstLine(err)} (needs the ip command and CAP_NET_ADMIN)`;
  }
  await ip(["netns", "del", probe]);
  return undefined;
}

/** Makes namespace `name`, its loopback up, and notes it in `names` for removal. */
async function addNamespace(name, names) {
  await ip(["netns", "add", name]);
  if (made.size === 0) watchSignals(true);
  made.add(name);
  names.push(name);
  await ipIn(name, ["link", "set", "lo", "up"]);
}

/** One host of a {@link makeLan}: a namespace with eth0 at `address`. */
class Host {
  constructor(name, ns, address) {
    this.name = name;
    this.ns = ns;
    this.address = address;
    /** The words that run a command inside this host: `[...launcher, command, ...args]`. */
    this.launcher = ["ip", "netns", "exec", ns];
  }

  /** `ip link set eth0 down` in this host: it is cut off the LAN (its address stays). */
  linkDown() {
    return ipIn(this.ns, ["link", "set", "eth0", "down"]);
  }

  /** `ip link set eth0 up` in this host: back on the LAN. */
  linkUp() {
    return ipIn(this.ns, ["link", "set", "eth0", "up"]);
  }
}

/**
 * `count` hosts (h1, h2, ...) on one LAN: host n is namespace `psr-<pid>-h<n>` with eth0
 * at 10.213.0.<n>/24, wired by a veth pair to bridge br0 in namespace `psr-<pid>-lan`.
 * Resolves with the hosts and `remove()`, which stops the processes still running in the
 * namespaces and deletes them (their links go with them); on a failure half-way, what was
 * made is removed before the error is thrown.
 */
export async function makeLan(count) {
  const prefix = `psr-${process.pid}`;
  const lan = `${prefix}-lan`;
  const names = [];
  const remove = () => {
    for (const name of names.splice(0).reverse()) removeNamespace(name);
    if (made.size === 0) watchSignals(false);
  };
  try {
    await addNamespace(lan, names);
    await ipIn(lan, ["link", "add", "br0", "type", "bridge"]);
    await ipIn(lan, ["link", "set", "br0", "up"]);
    const hosts = [];
    for (let n = 1; n <= count; n += 1) {
      const host = new Host(`h${n}`, `${prefix}-h${n}`, `${SUBNET}.${n}`);
      await addNamespace(host.ns, names);
      await ipIn(lan, ["link", "add", host.name, "type", "veth", "peer", "name", "eth0", "netns", host.ns]);
      await ipIn(lan, ["link", "set", host.name, "master", "br0"]);
      await ipIn(lan, ["link", "set", host.name, "up"]);
      await ipIn(host.ns, ["addr", "add", `${host.address}/24`, "dev", "eth0"]);
      await ipIn(host.ns, ["link", "set", "eth0", "up"]);
      hosts.push(host);
    }
    return { hosts, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
