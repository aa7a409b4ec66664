import * as zmq from "zeromq";
import type { DrainableSubscriber } from "../../agents/api.js";
import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { bindExplained } from "./bind.js";
import { ipcPath, prepareSocketPath, removeSocketFile } from "./ipc-path.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";
import type { ReceiveLoop } from "./receive-loop.js";
import { ZmqSubscriberBase } from "./subscriber.js";

/** While draining, the inbox counts as empty once no message came for this long. */
const DRAIN_IDLE_MS = 50;

/** The option that names the multiproc socket, for error messages. */
const SOCKET_OPTION = "publisher_multiproc_socket";

/**
 * The multiproc subscriber, the publisher service's inbox: a PULL socket bound to
 * `ipc://<publisher_multiproc_socket>` (its directory created with mode 0700, a stale
 * socket file replaced, the file removed on `close()`), plus any other registered
 * listen address, which it binds too. It takes every topic: filtering is the network
 * subscribers' job, so `registerTopic` does not narrow what it delivers.
 */
export class ZmqPullSubscriber extends ZmqSubscriberBase implements DrainableSubscriber {
  readonly #socketPath: string;
  #pull: zmq.Pull | undefined;
  #loop: ReceiveLoop | undefined;
  readonly #bound = new Set<string>();

  constructor(socketPath: string, options: ZmqOptions, agentOptions: SubscriberAgentOptions = {}) {
    super(options, agentOptions);
    this.#socketPath = socketPath;
  }

  /** The endpoint every worker's publisher connects to. */
  get endpoint(): string {
    return `ipc://${this.#socketPath}`;
  }

  get sockets(): readonly zmq.Socket[] {
    return this.#pull === undefined ? [] : [this.#pull];
  }

  protected override acceptsTopic(): boolean {
    return true;
  }

  protected async start(): Promise<void> {
    this.#loop = this.loop(
      () => this.#open(),
      (socket) => this.#release(socket),
    );
    await this.#loop.start();
  }

  /**
   * Unbinds (workers keep what they have not sent, for the next service), delivers what
   * is already in the socket's queue, then closes.
   */
  async drain(timeoutMs: number): Promise<void> {
    const loop = this.#loop;
    if (loop !== undefined && this.isRunning) {
      const refuse = async (socket: zmq.Socket): Promise<void> => {
        for (const endpoint of this.#bound) await socket.unbind(endpoint).catch(() => undefined);
      };
      await loop.drain(refuse, DRAIN_IDLE_MS, timeoutMs);
    }
    await this.close();
  }

  protected async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  async #open(): Promise<zmq.Pull> {
    const socket = new zmq.Pull();
    applySocketOptions(socket, this.options, "receive");
    socket.receiveHighWaterMark = this.options.receive_high_water_mark;
    try {
      for (const endpoint of this.#endpoints()) await this.#bind(socket, endpoint);
    } catch (err: unknown) {
      socket.close();
      await this.#removeFiles();
      throw err;
    }
    this.#pull = socket;
    return socket;
  }

  async #release(socket: zmq.Socket): Promise<void> {
    if (this.#pull === socket) this.#pull = undefined;
    await this.#removeFiles();
  }

  protected onListenAddressAdded(uri: string): void {
    const socket = this.#pull;
    if (socket === undefined || uri === this.endpoint) return;
    this.#bind(socket, uri).catch((err: unknown) => this.logger.error({ err, uri }, "cannot bind a listen address"));
  }

  protected onListenAddressRemoved(uri: string): void {
    const socket = this.#pull;
    if (socket === undefined || uri === this.endpoint || !this.#bound.has(uri)) return;
    this.#bound.delete(uri);
    const path = ipcPath(uri);
    socket.unbind(uri).then(
      () => (path === undefined ? undefined : removeSocketFile(path)),
      (err: unknown) => this.logger.error({ err, uri }, "cannot unbind a listen address"),
    );
  }

  protected onTopicAdded(): void {}

  protected onTopicRemoved(): void {}

  #endpoints(): string[] {
    return [this.endpoint, ...this.listenAddresses.filter((uri) => uri !== this.endpoint)];
  }

  async #bind(socket: zmq.Pull, endpoint: string): Promise<void> {
    const path = ipcPath(endpoint);
    const option = endpoint === this.endpoint ? SOCKET_OPTION : "listen address";
    if (path !== undefined) await prepareSocketPath(path, option);
    await bindExplained(socket, endpoint, option);
    this.#bound.add(endpoint);
  }

  async #removeFiles(): Promise<void> {
    for (const endpoint of this.#bound) {
      const path = ipcPath(endpoint);
      if (path !== undefined) await removeSocketFile(path).catch(() => undefined);
    }
    this.#bound.clear();
  }
}
