/* Generated from schema/pubsub.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Configuration of the pubsub publish-subscribe infrastructure. Option names follow OpenStack Dragonflow's, so a Dragonflow-style config carries over.
 */
export interface PubSubOptions {
  /**
   * The schema an editor checks this file against (e.g. `./node_modules/pubsub-run/schema/pubsub.schema.json`); ignored by pubsub.
   */
  $schema?: string;
  /**
   * Network driver: publisher service -> compute nodes. A built-in alias, a user alias from `drivers`, a path to a module (relative to the config file) or an npm package name.
   */
  pub_sub_driver?: (
    | (
        | "zmq_pubsub_driver"
        | "zmq_pubsub_multiproc_driver"
        | "redis_pubsub_driver"
        | "nats_pubsub_driver"
        | "etcd_pubsub_driver"
        | "redis_db_pubsub_driver"
      )
    | string
  ) &
    string;
  /**
   * IPC driver: worker processes -> the once-per-host publisher service. Same forms as `pub_sub_driver`.
   */
  pub_sub_multiproc_driver?: (
    | (
        | "zmq_pubsub_driver"
        | "zmq_pubsub_multiproc_driver"
        | "redis_pubsub_driver"
        | "nats_pubsub_driver"
        | "etcd_pubsub_driver"
        | "redis_db_pubsub_driver"
      )
    | string
  ) &
    string;
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
   * Permissions of the multiproc socket, in octal, set right after bind whatever the umask: `0600` lets only the service's user publish; `0660` with `publisher_multiproc_socket_group` lets that group publish too.
   */
  publisher_multiproc_socket_mode?: string;
  /**
   * Group (name or numeric gid) that may publish on a multi-user host: the service gives the socket and the folder it creates (mode 0750) this group, and workers accept a folder of this group owned by another user. Empty (the default): the socket and its folder belong to the service's user alone.
   */
  publisher_multiproc_socket_group?: string;
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
   * How many promises of an asynchronous event handler (`onEvent` of `loadFromConfig()`) may be pending at once. 1: each is awaited before the next event is handed over. Above 1, each publisher's events still come in order, and `sync` is awaited alone. A synchronous handler is not affected.
   */
  subscriber_concurrency?: number;
  /**
   * Messages a publisher holds that sendEvent (or sendFrames) accepted and its transport has not taken yet: a caller that does not await sendEvent, or a transport that stalls. Past it sendEvent rejects at once with PUBSUB_ERR_SEND, the event unsent and unnumbered, so a publisher's memory stays bounded; a caller that awaits each sendEvent never reaches it. 0 means no limit.
   */
  publisher_queue_size?: number;
  /**
   * Events a subscriber holds for a handler that is behind. When full, the ZeroMQ subscriber stops reading (the high-water marks then hold the backlog); the broker subscribers (Redis, NATS, etcd) drop what comes, count it (`overflowed`) and give `sync`.
   */
  subscriber_queue_size?: number;
  /**
   * User driver aliases: alias -> module specifier (path relative to the config file, or npm package name).
   */
  drivers?: {
    [k: string]: string;
  };
  /**
   * Northbound database driver for the publisher registry, the table monitors and discovery (Dragonflow's `nb_db_class`): `etcd_nb_db_driver`, `redis_nb_db_driver`, a user alias from `drivers`, a module path or an npm package. Empty: no database, nothing changes.
   */
  nb_db_class?: (("" | "etcd_nb_db_driver" | "redis_nb_db_driver") | string) & string;
  /**
   * The northbound database's addresses, as `host:port` (Dragonflow's `remote_db_hosts`); the driver tries them in order.
   *
   * @minItems 1
   */
  remote_db_hosts?: [string, ...string[]];
  /**
   * How long one database request (connect, read, write) may take before it fails with `PUBSUB_ERR_DB`.
   */
  nb_db_timeout_ms?: number;
  /**
   * Seconds after its last `last_activity_timestamp` that a publisher's row in the `publisher` table is stale: the publisher services' monitors delete it and discovering subscribers forget its address.
   */
  publisher_timeout?: number;
  /**
   * Seconds of the window in which the publisher service refreshes its `last_activity_timestamp` at most `publisher_rate_limit_count` times.
   */
  publisher_rate_limit_timeout?: number;
  /**
   * How many times per `publisher_rate_limit_timeout` the publisher service refreshes its row.
   */
  publisher_rate_limit_count?: number;
  /**
   * Seconds between two reads of each monitored table; a database that can watch (etcd) pushes changes at once and the poll is the fallback.
   */
  monitor_table_poll_time?: number;
  /**
   * Tables the publisher service monitors and publishes the changes of, as `create`/`set`/`delete` events on the table's name. The `publisher` table's monitor also deletes stale publishers.
   */
  monitor_tables?: string[];
  /**
   * The address other hosts reach this one at: the publisher service registers `<publisher_transport>://<management_ip>:<publisher_port>` when `publisher_bind_address` is `*` or `127.0.0.1`.
   */
  management_ip?: string;
  /**
   * Subscribers read the `publisher` table at start, connect to every registered `uri`, and follow the table's events to connect to new publishers and leave removed ones; `publishers` still adds static addresses. Needs `nb_db_class`.
   */
  discover_publishers?: boolean;
  /**
   * Lowest level logged: `trace`, `debug`, `info`, `warn`, `error`, `fatal`, or `silent` (nothing). Applies to the library's default logger and to every `pubsub-run` command (`--log-level` overrides it; `--debug` implies `debug`); a logger the application passes keeps its own level.
   */
  log_level?: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /**
   * `HOST:PORT` (`[::1]:9464` for IPv6) where `pubsub-run service` and `pubsub-run subscribe` serve Prometheus metrics at `/metrics`, liveness at `/healthz` and readiness at `/readyz` over HTTP; empty (the default) serves nothing. `--metrics HOST:PORT` overrides it.
   */
  metrics_listen?: string;
  /**
   * Options of the ZeroMQ drivers (network and multiproc). The defaults keep a burst of hundreds of thousands of events whole.
   */
  zmq?: {
    /**
     * Events the network publisher queues per subscriber. Past it a subscriber that does not keep up misses events (counted in queueOverflows and logged; the subscriber gets "sync"). 0 means no limit. ZeroMQ's own default, 1000, drops bursts.
     */
    send_high_water_mark?: number;
    /**
     * Events a worker's multiproc publisher lets ZeroMQ queue for the publisher service; past it sendEvent waits (backpressure). Kept small, so a service that stops reading is noticed soon (what it had not confirmed is replayed from zmq.replay_window to the next service). 0 means no limit.
     */
    multiproc_send_high_water_mark?: number;
    /**
     * Events a subscriber queues before it pushes back on the publisher. 0 means no limit.
     */
    receive_high_water_mark?: number;
    /**
     * How long close() keeps sending events still queued in ZeroMQ, in milliseconds. -1 waits forever, 0 drops them.
     */
    linger_ms?: number;
    /**
     * Events a worker's multiproc publisher keeps until the publisher service confirms it relayed them; they are sent again, in order, to a restarted service. When it is full sendEvent waits (backpressure), at most zmq.send_timeout_ms. Bounds the worker's memory.
     */
    replay_window?: number;
    /**
     * How long a worker's sendEvent waits for room in a full zmq.replay_window before it rejects with PUBSUB_ERR_SEND, in milliseconds. -1 waits forever.
     */
    send_timeout_ms?: number;
    /**
     * Delay between a subscriber's attempts to reconnect to a lost publisher, in milliseconds. Also the first wait before opening a failed subscriber socket again; that wait doubles after each failure, up to 5 seconds.
     */
    reconnect_interval_ms?: number;
    /**
     * The longest wait between a subscriber's reconnect attempts, in milliseconds: the wait doubles from zmq.reconnect_interval_ms up to it, scaled per socket by a random factor of 1 to 1.5 (ZMQ_RECONNECT_IVL_MAX). 0: no back-off, a fixed zmq.reconnect_interval_ms plus random jitter of up to one interval.
     */
    reconnect_interval_max_ms?: number;
    /**
     * Interval of ZMTP heartbeats that detect a vanished peer, in milliseconds; 0 turns them off.
     */
    heartbeat_interval_ms?: number;
    /**
     * How often a network publisher pings each subscriber connection, in milliseconds; one silent for zmq.heartbeat_timeout_ms after a ping is dropped. Longer than zmq.heartbeat_interval_ms because libzmq's cost for these timers grows with the square of the subscribers; subscribers still ping every zmq.heartbeat_interval_ms. 0: the publisher does not ping (it still answers). Off when zmq.heartbeat_interval_ms is 0.
     */
    publisher_heartbeat_interval_ms?: number;
    /**
     * Batched wire mode: a publisher packs the events waiting in its queue into one message (one event when idle, many under load). Only subscribers of this project read batches; they read both forms. Leave off when Dragonflow (Python) subscribers listen.
     */
    batch?: boolean;
    /**
     * Batched IPC hop: a worker's multiproc publisher packs the events it is given in one turn of the event loop into one message to the publisher service, which relays them as a batch when zmq.batch is on and one event a message otherwise, so subscribers see no difference. Off, workers batch only with zmq.batch. A Dragonflow worker's plain PUSH is accepted either way.
     */
    multiproc_batch?: boolean;
    /**
     * Batched wire mode: the most payload bytes one batched message carries.
     */
    batch_max_bytes?: number;
    /**
     * The largest message a ZeroMQ socket of ours takes from a peer (ZMQ_MAXMSGSIZE): the publisher service's inbox from a worker, a subscriber from a publisher, a network publisher from a subscriber (which it reads up to 511 bytes at most). A larger one drops that peer's connection, so no peer grows a process's memory with one message; a subscriber then connects again itself (libzmq does not), logs it, and its callback gets "sync". Publishers refuse to send an event larger than it (PUBSUB_ERR_SEND). 0 means no limit.
     */
    max_message_bytes?: number;
    /**
     * The total length of the distinct topics a network publisher's peers may hold subscribed. libzmq keeps each subscription in memory (about 50 bytes per byte of a topic no other subscription shares) and does not say which peer sent it, so past this the publisher ends every connection, counts it (subscriptionResets) and logs it; subscribers of this project reconnect and get "sync". The default, about 7,000 distinct topics of 36 bytes, kept a peer flooding distinct subscriptions to under 50 MB; raise it when the subscribers hold more distinct topics than that (the log line gives the length they reached). 0 means no limit.
     */
    max_subscription_bytes?: number;
    /**
     * Connections the kernel queues for a socket that binds before it accepts them (ZMQ_BACKLOG); capped by net.core.somaxconn. Too small, and a herd of reconnecting subscribers waits on the kernel's connection retries (1, 3, 7, 15 s).
     */
    backlog?: number;
    /**
     * A connection whose peer sends nothing for this long is dropped and reconnected (subscribers then get "sync"), in milliseconds.
     */
    heartbeat_timeout_ms?: number;
    /**
     * CurveZMQ on the network driver: events encrypted, subscribers authenticated by their public keys. Off by default: Dragonflow peers speak plain ZMTP. Make keys with pubsub-run keygen. Paths are relative to the working directory.
     */
    curve?: {
      /**
       * Encrypt and authenticate the network driver's connections with CurveZMQ. Every publisher and subscriber of the network must agree.
       */
      enabled?: boolean;
      /**
       * Publisher: the file holding its CURVE secret key (Z85, as pubsub-run keygen writes it; keep it mode 0600). Needed to publish with curve on.
       */
      publisher_secret_key_file?: string;
      /**
       * Subscribers: the publisher's CURVE public key, as a file or as the 40-character Z85 text. Needed to subscribe with curve on.
       */
      publisher_public_key?: string;
      /**
       * Subscribers: the file holding this subscriber's CURVE public key (Z85). Its key must be on the publisher's allowed_subscribers.
       */
      subscriber_public_key_file?: string;
      /**
       * Subscribers: the file holding this subscriber's CURVE secret key (Z85; keep it mode 0600).
       */
      subscriber_secret_key_file?: string;
      /**
       * Publisher: the subscriber public keys it accepts, a file with one Z85 key per line (# comments allowed) or a folder of .key files, checked by a ZAP handler; others are refused and logged. Reloaded on SIGHUP by pubsub-run service. Unset: any subscriber that knows the publisher's public key is accepted.
       */
      allowed_subscribers?: string;
    };
  };
  /**
   * Options of the Redis driver (`redis_pubsub_driver`): publishers PUBLISH each event on the channel named by its topic, subscribers SUBSCRIBE to each registered topic. With this driver, `publishers` defaults to `[redis.url]`. Its `username`, `password` and `tls` also serve the Redis database driver (`redis_nb_db_driver`), which connects to `remote_db_hosts`, over TLS when `tls` is set.
   */
  redis?: {
    /**
     * The Redis server publishers publish to (and, by default, subscribers receive from): `redis://[user:password@]host[:port]`, or `rediss://` for TLS. Credentials in the URL win over `username` and `password`.
     */
    url?: string;
    /**
     * User name for Redis ACLs (AUTH user password). Default: none (the `default` user).
     */
    username?: string;
    /**
     * Password (AUTH). Default: none.
     */
    password?: string;
    /**
     * TLS options of the Redis connections: the pub/sub driver's (with `rediss://` URLs only) and the database driver's (set it and `remote_db_hosts` is reached over TLS). File paths are absolute, or relative to the working directory, and read when the driver loads.
     */
    tls?: {
      /**
       * PEM file of the certificate authorities to trust instead of the system's.
       */
      ca_file?: string;
      /**
       * PEM file of this client's certificate, for servers that verify clients.
       */
      cert_file?: string;
      /**
       * PEM file of this client's private key (with `cert_file`).
       */
      key_file?: string;
      /**
       * Server name to verify the certificate against, when it differs from the URL's host.
       */
      servername?: string;
      /**
       * Refuse servers whose certificate does not verify. Turn off only for tests.
       */
      reject_unauthorized?: boolean;
    };
    /**
     * Prepended to every topic to name its channel (`pubsub:` makes topic `D` the channel `pubsub:D`), to keep this project's channels apart on a shared server. Publishers and subscribers of one deployment must use the same prefix.
     */
    channel_prefix?: string;
    /**
     * How long a publisher's `initialize()` or a subscriber's `daemonize()` waits for the first connection before failing with PUBSUB_ERR_CONNECT, in milliseconds; also the time limit of every reconnection attempt.
     */
    connect_timeout_ms?: number;
    /**
     * Delay between reconnection attempts after a lost connection, in milliseconds. Attempts go on until the connection is back; subscribers then get "sync".
     */
    reconnect_interval_ms?: number;
    /**
     * How long a publisher's close() waits for events still queued or unconfirmed by the server, in milliseconds. -1 waits forever, 0 drops them (each drop is reported).
     */
    linger_ms?: number;
    /**
     * The largest message a Redis subscriber takes (the MessagePack event as published): a larger one is dropped, counted as undecodable, logged, and the callback gets "sync". Publishers refuse to send an event larger than it (PUBSUB_ERR_SEND). What one message takes in memory before it is dropped is bounded by the server: its pubsub client-output-buffer-limit (32 MB by default) disconnects a subscriber it holds more for. 0 means no limit.
     */
    max_message_bytes?: number;
  };
  /**
   * Options of the NATS driver (`nats_pubsub_driver`): the subject of an event is its topic, which must be a valid NATS subject (no whitespace, `*`, `>` or empty tokens). With this driver, `publishers` defaults to the servers joined by commas (one cluster).
   */
  nats?: {
    /**
     * The NATS servers of one cluster that publishers connect to (and, by default, subscribers): `nats://host:port`, or `tls://host:port` to require TLS. The client picks one and fails over to the others.
     *
     * @minItems 1
     */
    servers?: [string, ...string[]];
    /**
     * User name, with `password`. Default: none.
     */
    user?: string;
    /**
     * Password of `user`. Default: none.
     */
    password?: string;
    /**
     * Authentication token, instead of `user` and `password`. Default: none.
     */
    token?: string;
    /**
     * Connection name the server shows in its monitoring. Default: none.
     */
    name?: string;
    /**
     * TLS options of the NATS connections (used when the server offers or requires TLS). File paths are absolute, or relative to the working directory, and read when the driver loads.
     */
    tls?: {
      /**
       * PEM file of the certificate authorities to trust instead of the system's.
       */
      ca_file?: string;
      /**
       * PEM file of this client's certificate, for servers that verify clients.
       */
      cert_file?: string;
      /**
       * PEM file of this client's private key (with `cert_file`).
       */
      key_file?: string;
      /**
       * Server name to verify the certificate against, when it differs from the URL's host.
       */
      servername?: string;
      /**
       * Refuse servers whose certificate does not verify. Turn off only for tests.
       */
      reject_unauthorized?: boolean;
    };
    /**
     * How long a publisher's `initialize()` or a subscriber's `daemonize()` waits for the first connection before failing with PUBSUB_ERR_CONNECT, in milliseconds.
     */
    connect_timeout_ms?: number;
    /**
     * Delay between reconnection attempts to a server after a lost connection, in milliseconds. Attempts go on until the connection is back; subscribers then get "sync".
     */
    reconnect_interval_ms?: number;
    /**
     * How long a publisher's close() waits for events still queued or unconfirmed by the server, in milliseconds. -1 waits forever, 0 drops them (each drop is reported).
     */
    linger_ms?: number;
    /**
     * The largest message a NATS subscriber takes (the MessagePack event as published): a larger one is dropped, counted as undecodable, logged, and the callback gets "sync". Publishers refuse to send an event larger than it (PUBSUB_ERR_SEND). The server's max_payload (1 MB by default) bounds every message before this. 0 means no limit.
     */
    max_message_bytes?: number;
  };
  /**
   * Options of the etcd pub/sub driver (`etcd_pubsub_driver`): publishers PUT each event on `/pubsub/<topic>` of the etcd at `remote_db_hosts`, subscribers watch the key of each registered topic. Its `username`, `password` and `tls` also serve the etcd database driver (`etcd_nb_db_driver`).
   */
  etcd?: {
    /**
     * Pause between attempts while etcd cannot be reached: a publisher's PUT is tried again, a subscriber's watch stream opened again (then "sync").
     */
    reconnect_interval_ms?: number;
    /**
     * How long a publisher's `close()` waits for etcd to take the queued events; -1 forever, 0 not at all.
     */
    linger_ms?: number;
    /**
     * Batched wire mode: one PUT carries the events waiting in the queue (one revision for many). Only subscribers of this project read batches; leave off when Dragonflow subscribers listen.
     */
    batch?: boolean;
    /**
     * Batched wire mode: the most payload bytes one PUT carries (etcd refuses requests above its --max-request-bytes, 1.5 MiB by default).
     */
    batch_max_bytes?: number;
    /**
     * User name for etcd's authentication (etcd's `auth enable`), with `password`; used by the etcd pub/sub driver and the etcd database driver alike. Default: none (etcd without authentication).
     */
    username?: string;
    /**
     * Password of `username`. Never printed. Default: none.
     */
    password?: string;
    /**
     * TLS for the connections to etcd (its members serve https): set it and every member is reached over TLS, by the etcd pub/sub driver and the etcd database driver alike. File paths are absolute, or relative to the working directory, and read when the driver loads.
     */
    tls?: {
      /**
       * PEM file of the certificate authorities to trust instead of the system's.
       */
      ca_file?: string;
      /**
       * PEM file of this client's certificate, for servers that verify clients.
       */
      cert_file?: string;
      /**
       * PEM file of this client's private key (with `cert_file`).
       */
      key_file?: string;
      /**
       * Server name to verify the members' certificates against, when it differs from the host of `remote_db_hosts` (a certificate for `etcd-1.example` reached at an IP address).
       */
      servername?: string;
    };
  };
}
