#!/usr/bin/env python3
"""A Dragonflow node on the wire, for the interoperability tests.

It speaks what Dragonflow's ZeroMQ drivers speak: two-frame messages
[topic as UTF-8 bytes, msgpack.packb(map, use_bin_type=True)], read back with
msgpack.unpackb(data, raw=False). The map is {table, key, action, value, topic}.

Modes:
  pub ENDPOINT TOPIC...  Bind a PUB socket. Until stdin says "ready", publish a probe
                         on every TOPIC over and over (the other side's subscriptions
                         take effect at an unknown moment). Then publish each stdin
                         line; close and exit at the end of stdin.
  sub ENDPOINT TOPIC     Connect a SUB socket subscribed to TOPIC ("" = every topic).
                         Print {"ready": true} when the first probe arrives, then every
                         other message as one JSON line; exit after the end marker, or
                         when stdin closes (the test that started it is gone).
  push ENDPOINT          Connect a PUSH socket, as a Dragonflow worker does to the
                         publisher service. Send each stdin line; close and exit at
                         the end of stdin.

A stdin line to send is JSON, {"topic": "D", "message": {...}}: the map is packed as
given, key order kept, so it may carry keys Dragonflow does not know. A probe is a map
whose table is "__probe__", the end marker one whose table is "__end__".

A printed message is {"topic": <frame>, "message": <map>, "types": <the Python type of
every leaf of the map>}, so the other side can tell 2 from 2.0. A message that is not
two frames is printed as {"frames": [<hex of each frame>]}.
"""

import json
import os
import select
import sys

import msgpack
import zmq

PROBE_TABLE = "__probe__"
END_TABLE = "__end__"
PROBE_INTERVAL_S = 0.02
LINGER_MS = 5000


def pack(message):
    return msgpack.packb(message, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False)


def emit(record):
    print(json.dumps(record, default=printable), flush=True)


def printable(value):
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return repr(value)  # e.g. msgpack.ExtType, which JSON cannot carry


def types(value):
    if isinstance(value, dict):
        return {key: types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [types(item) for item in value]
    return type(value).__name__


def send_line(socket, line):
    request = json.loads(line)
    socket.send_multipart([request["topic"].encode("utf-8"), pack(request["message"])])


def send_stdin(socket):
    for line in sys.stdin:
        if line.strip():
            send_line(socket, line)


def probe(topic):
    return [topic.encode("utf-8"), pack({"table": PROBE_TABLE, "key": topic, "action": "probe", "value": None, "topic": topic})]


def publish(context, endpoint, topics):
    socket = context.socket(zmq.PUB)
    socket.bind(endpoint)
    # Not a wait for readiness: the loop ends when the other side says it received a
    # probe on every topic; the timeout only paces the probes.
    while True:
        for topic in topics:
            socket.send_multipart(probe(topic))
        readable, _, _ = select.select([sys.stdin], [], [], PROBE_INTERVAL_S)
        if readable:
            line = sys.stdin.readline()
            if line == "":
                return socket  # stdin closed: the other side gave up
            if line.strip() == "ready":
                break
    send_stdin(socket)
    return socket


def subscribe(context, endpoint, topic):
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
    socket.connect(endpoint)
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    poller.register(sys.stdin.fileno(), zmq.POLLIN)
    ready = False
    while True:
        readable = dict(poller.poll())
        if sys.stdin.fileno() in readable and os.read(sys.stdin.fileno(), 4096) == b"":
            return socket
        if socket not in readable:
            continue
        frames = socket.recv_multipart()
        if len(frames) != 2:
            emit({"frames": [frame.hex() for frame in frames]})
            continue
        message = unpack(frames[1])
        table = message.get("table") if isinstance(message, dict) else None
        if table == PROBE_TABLE:
            if not ready:
                ready = True
                emit({"ready": True})
        elif table == END_TABLE:
            return socket
        else:
            emit({"topic": frames[0].decode("utf-8"), "message": message, "types": types(message)})


def push(context, endpoint):
    socket = context.socket(zmq.PUSH)
    socket.connect(endpoint)
    send_stdin(socket)
    return socket


def main(argv):
    modes = {
        "pub": (lambda context, args: publish(context, args[0], args[1:]), 2),
        "sub": (lambda context, args: subscribe(context, args[0], args[1]), 2),
        "push": (lambda context, args: push(context, args[0]), 1),
    }
    if len(argv) < 1 or argv[0] not in modes or len(argv) - 1 < modes[argv[0]][1]:
        sys.exit(__doc__)
    run, _ = modes[argv[0]]
    context = zmq.Context()
    socket = run(context, argv[1:])
    # A sender's linger sends what is still queued before the process ends; a subscriber
    # has nothing worth waiting for (only its subscriptions, if the publisher is gone).
    socket.close(linger=0 if argv[0] == "sub" else LINGER_MS)
    context.term()


if __name__ == "__main__":
    main(sys.argv[1:])
