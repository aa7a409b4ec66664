import * as zmq from "zeromq";
import type { DrainableSubscriber } from "../../contract.js";
import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { AckSender } from "./ack-sender.js";
import { bindExplained } from "./bind.js";
import { bindSocketFile, ipcPath, PRIVATE_SOCKET, removeSocketFile, type SocketAccess } from "./ipc-path.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";
import type { ReceiveLoop } from "./receive-loop.js";
import { ZmqSubscriberBase } from "./subscriber.js";
import { UNBIND_WAIT_SLICE_MS } from "./nonblocking.js";

/** While draining, the inbox counts as empty once no message came for this long. */
const DRAIN_IDLE_MS = 50;

/** The option that names the multiproc socket, for error messages. */
const SOCKET_OPTION = "publisher_multiproc_socket";

/**
 * The multiproc subscriber, the publisher service's inbox: a PULL socket bound to
 * `ipc://<publisher_multiproc_socket>` (its folder created 0700 or refused when another
 * user could write it, a stale socket file of ours replaced, the socket's mode set from
 * `access` right after bind, the file removed on `close()`; see {@link bindSocketFile}), plus a PULL socket for each
 * other registered listen address, bound there. A socket per address lets
 * `unregisterListenAddress` stop taking from that address at once: the socket is
 * closed, so nothing sent there afterwards is delivered. It takes every topic:
 * filtering is the network subscribers' job, so `registerTopic` does not narrow what
 * it delivers.
 *
 * It acknowledges what it relayed to each worker of this project and drops the events a
 * worker sends again (see {@link AckSender}, bound at `<publisher_multiproc_socket>.ack`):
 * when it delivers decoded events, once the callback is done with them (a promise it
 * returned settled: an event still waiting for a busy callback when the subscriber
 * closes is not confirmed, and its worker sends it again); when it hands raw frames
 * on, once the service says the network publisher accepted them
 * ({@link confirmOnRelay}). A plain PUSH worker (Dragonflow's) gets no acknowledgement and
 * its events are relayed at most once.
 */
export class ZmqPullSubscriber extends ZmqSubscriberBase implements DrainableSubscriber {
  readonly #socketPath: string;
  readonly #access: SocketAccess;
  /** A receive loop per bound address, the service's own endpoint first. */
  readonly #loops = new Map<string, ReceiveLoop>();
  /** Addresses being unbound: binding one again waits, so the old socket's file removal cannot hit the new one. */
  readonly #removing = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #acks: AckSender;
  #confirmsOnRelay = false;

  /** @param access - who may use the socket files bound (this one and ipc listen addresses). */
  constructor(socketPath: string, options: ZmqOptions, agentOptions: SubscriberAgentOptions = {}, access: SocketAccess = PRIVATE_SOCKET) {
    super(options, agentOptions);
    this.#socketPath = socketPath;
    this.#access = access;
    this.#acks = new AckSender(`${socketPath}.ack`, options, this.logger);
  }

  /** Replayed events dropped as duplicates (a worker sent them again after a service restart). */
  get duplicates(): number {
    return this.#acks.duplicates;
  }

  /**
   * The service relays raw frames and confirms each once the network publisher accepted
   * it, with the function returned; until called, frames are confirmed once handed on.
   */
  confirmOnRelay(): (topic: Uint8Array, payload: Uint8Array) => void {
    this.#confirmsOnRelay = true;
    return (topic, payload) => this.#acks.confirm(topic, payload);
  }

  protected override take(frames: Buffer[]): void {
    const [topic, payload] = frames;
    if (frames.length !== 2 || topic === undefined || payload === undefined) {
      super.take(frames);
      return;
    }
    if (!this.#acks.admit(topic, payload)) return;
    if (this.#confirmsOnRelay) super.take(frames);
    else super.take(frames, () => this.#acks.confirm(topic, payload));
  }

  /** The endpoint every worker's publisher connects to. */
  get endpoint(): string {
    return `ipc://${this.#socketPath}`;
  }

  get sockets(): readonly zmq.Socket[] {
    return [...this.#loops.values()].flatMap((loop) => (loop.socket === undefined ? [] : [loop.socket]));
  }

  protected override acceptsTopic(): boolean {
    return true;
  }

  protected async start(): Promise<void> {
    try {
      for (const uri of [this.endpoint, ...this.listenAddresses.filter((uri) => uri !== this.endpoint)]) await this.#listen(uri);
      await this.#acks.open(SOCKET_OPTION, this.#access);
    } catch (err: unknown) {
      await this.#stopAll();
      throw err;
    }
  }

  /**
   * Unbinds (workers keep what they have not sent, for the next service), delivers what
   * is already in the sockets' queues, then closes.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.isRunning) {
      await Promise.all(
        [...this.#loops].map(([uri, loop]) =>
          loop.drain(async (socket) => socket.unbind(uri).catch(() => undefined), DRAIN_IDLE_MS, timeoutMs),
        ),
      );
    }
    await this.close();
  }

  protected async stop(): Promise<void> {
    await this.#stopAll();
  }

  protected onListenAddressAdded(uri: string): void {
    if (uri === this.endpoint || this.#loops.has(uri)) return;
    this.#track(this.#listen(uri).catch((err: unknown) => this.logger.error({ err, uri }, "cannot bind a listen address")));
  }

  protected onListenAddressRemoved(uri: string): void {
    const loop = this.#loops.get(uri);
    if (loop === undefined || uri === this.endpoint) return;
    this.#loops.delete(uri);
    // stop() closes the socket before its first await: nothing more is taken from uri.
    const removed = loop.stop().finally(() => {
      if (this.#removing.get(uri) === removed) this.#removing.delete(uri);
    });
    this.#removing.set(uri, removed);
    this.#track(removed);
  }

  protected onTopicAdded(): void {}

  protected onTopicRemoved(): void {}

  /** Binds a socket at `uri` and receives from it, in a loop that replaces it when it fails. */
  async #listen(uri: string): Promise<void> {
    const removing = this.#removing.get(uri);
    const loop = this.loop(() => this.#open(uri), { release: () => this.#release(uri), waitSliceMs: UNBIND_WAIT_SLICE_MS });
    this.#loops.set(uri, loop);
    try {
      await removing?.catch(() => undefined);
      await loop.start();
    } catch (err: unknown) {
      if (this.#loops.get(uri) === loop) this.#loops.delete(uri);
      throw err;
    }
  }

  async #open(uri: string): Promise<zmq.Pull> {
    const socket = new zmq.Pull();
    applySocketOptions(socket, this.options, "receive");
    socket.receiveHighWaterMark = this.options.receive_high_water_mark;
    const path = ipcPath(uri);
    const option = uri === this.endpoint ? SOCKET_OPTION : "listen address";
    try {
      const bind = (): Promise<void> => bindExplained(socket, uri, option);
      await (path === undefined ? bind() : bindSocketFile(path, option, this.#access, bind));
    } catch (err: unknown) {
      socket.close();
      throw err;
    }
    return socket;
  }

  /** Removes the socket file of `uri` once its socket is closed. */
  async #release(uri: string): Promise<void> {
    const path = ipcPath(uri);
    if (path !== undefined) await removeSocketFile(path).catch(() => undefined);
  }

  async #stopAll(): Promise<void> {
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((loop) => loop.stop()));
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    await this.#acks.close();
  }

  #track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.logger.error({ err }, "a listen address change failed"))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
