/* Generated from schema/pubsub.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Configuration of the pubsub publish-subscribe infrastructure. Option names follow OpenStack Dragonflow's, so a Dragonflow-style config carries over.
 */
export interface PubSubOptions {
  /**
   * Network driver: publisher service -> compute nodes. A built-in alias, a user alias from `drivers`, a path to a module (relative to the config file) or an npm package name.
   */
  pub_sub_driver?: string;
  /**
   * IPC driver: worker processes -> the once-per-host publisher service. Same forms as `pub_sub_driver`.
   */
  pub_sub_multiproc_driver?: string;
  /**
   * Port the network publisher binds and subscribers connect to.
   */
  publisher_port?: number;
  /**
   * Transport of network pub/sub (`tcp`, `epgm`, `ipc`, ...). The driver checks which ones it supports.
   */
  publisher_transport?: string;
  /**
   * Local address the network publisher binds; `*` means all addresses.
   */
  publisher_bind_address?: string;
  /**
   * Local socket path of the multiproc driver. Default: `$XDG_RUNTIME_DIR/pubsub/publisher.sock`, else `<tmpdir>/pubsub-<uid>/publisher.sock`.
   */
  publisher_multiproc_socket?: string;
  /**
   * Publish through the publisher service (multiproc driver). When false, publishers send straight to the network with `pub_sub_driver` and the multiproc options are ignored.
   */
  pub_sub_use_multiproc?: boolean;
  /**
   * Addresses a subscriber connects to, as URIs (`tcp://10.0.0.5:8866`). Default: the local publisher, `<publisher_transport>://127.0.0.1:<publisher_port>`.
   */
  publishers?: string[];
  /**
   * Topics a subscriber registers. `D` is the send-to-all topic.
   */
  topics?: string[];
  /**
   * User driver aliases: alias -> module specifier (path relative to the config file, or npm package name).
   */
  drivers?: {
    [k: string]: string;
  };
  /**
   * Options of the ZeroMQ drivers (network and multiproc). The defaults keep a burst of hundreds of thousands of events whole.
   */
  zmq?: {
    /**
     * Events a publisher queues per subscriber before ZeroMQ drops (PUB) or blocks (PUSH). 0 means no limit. ZeroMQ's own default, 1000, drops bursts silently.
     */
    send_high_water_mark?: number;
    /**
     * Events a subscriber queues before it pushes back on the publisher. 0 means no limit.
     */
    receive_high_water_mark?: number;
    /**
     * How long close() keeps sending events still queued in ZeroMQ, in milliseconds. -1 waits forever, 0 drops them.
     */
    linger_ms?: number;
    /**
     * Delay between a subscriber's attempts to reconnect to a lost publisher, in milliseconds. Also the first wait before opening a failed subscriber socket again; that wait doubles after each failure, up to 5 seconds.
     */
    reconnect_interval_ms?: number;
    /**
     * Interval of ZMTP heartbeats that detect a vanished peer, in milliseconds; 0 turns them off.
     */
    heartbeat_interval_ms?: number;
    /**
     * Batched wire mode: a publisher packs the events waiting in its queue into one message (one event when idle, many under load). Only subscribers of this project read batches; they read both forms. Leave off when Dragonflow (Python) subscribers listen.
     */
    batch?: boolean;
    /**
     * Batched wire mode: the most payload bytes one batched message carries.
     */
    batch_max_bytes?: number;
    /**
     * A connection whose peer sends nothing for this long is dropped and reconnected (subscribers then get "sync"), in milliseconds.
     */
    heartbeat_timeout_ms?: number;
  };
}
