/*
 * libzmq's own limit for the `direct` scenario: one PUB and one SUB over
 * tcp://127.0.0.1, each in its own thread and its own context (as two processes would
 * have), messages of two frames [topic "D", payload of SIZE bytes] like ours. The
 * subscriber only counts; nothing is encoded or decoded. Probes go out until the
 * subscriber has one (ZeroMQ drops what a PUB sends before the subscription arrives),
 * then COUNT measured messages; the rate is COUNT over the time from the first
 * measured send to the last receipt, as the Node scenarios measure it. Queues are not
 * bounded (high-water marks 0), so nothing is dropped; a subscriber that waits 10 s for a
 * message says what it lost and exits 1.
 *
 * usage: zmq-loop PORT COUNT SIZE    prints: messages/s
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define PROBE 'p'
#define MEASURED 'm'

static char endpoint[64];
static long count;
static size_t size;
static atomic_int probed;
static double first_send;
static double last_receipt;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "zmq-loop: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

static void *subscriber(void *context) {
  void *socket = zmq_socket(context, ZMQ_SUB);
  int hwm = 0;
  int timeout = 10000;
  if (zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0) die("ZMQ_RCVHWM");
  if (zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0) die("ZMQ_RCVTIMEO");
  if (zmq_setsockopt(socket, ZMQ_SUBSCRIBE, "D", 1) != 0) die("ZMQ_SUBSCRIBE");
  if (zmq_connect(socket, endpoint) != 0) die("zmq_connect");
  char *buffer = malloc(size + 1);
  long received = 0;
  while (received < count) {
    if (zmq_recv(socket, buffer, 8, 0) < 0) {
      if (zmq_errno() == EAGAIN) fprintf(stderr, "zmq-loop: %ld of %ld messages received, none for 10 s\n", received, count);
      die("zmq_recv topic");
    }
    int n = zmq_recv(socket, buffer, size + 1, 0);
    if (n < 0) die("zmq_recv payload");
    if (buffer[0] == PROBE) atomic_store(&probed, 1);
    else received += 1;
  }
  last_receipt = now();
  free(buffer);
  zmq_close(socket);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: zmq-loop PORT COUNT SIZE\n");
    return 2;
  }
  snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", argv[1]);
  count = atol(argv[2]);
  size = (size_t)atol(argv[3]);
  if (count <= 0 || size == 0) {
    fprintf(stderr, "zmq-loop: COUNT and SIZE must be positive\n");
    return 2;
  }
  void *pub_context = zmq_ctx_new();
  void *sub_context = zmq_ctx_new();
  void *socket = zmq_socket(pub_context, ZMQ_PUB);
  int hwm = 0;
  if (zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0) die("ZMQ_SNDHWM");
  if (zmq_bind(socket, endpoint) != 0) die("zmq_bind");

  pthread_t thread;
  pthread_create(&thread, NULL, subscriber, sub_context);
  char *payload = malloc(size);
  memset(payload, 'x', size);
  payload[0] = PROBE;
  struct timespec tick = {0, 20 * 1000 * 1000};
  while (!atomic_load(&probed)) {
    if (zmq_send(socket, "D", 1, ZMQ_SNDMORE) < 0 || zmq_send(socket, payload, size, 0) < 0) die("zmq_send probe");
    nanosleep(&tick, NULL);
  }
  payload[0] = MEASURED;
  first_send = now();
  for (long i = 0; i < count; i += 1) {
    if (zmq_send(socket, "D", 1, ZMQ_SNDMORE) < 0 || zmq_send(socket, payload, size, 0) < 0) die("zmq_send");
  }
  pthread_join(thread, NULL);
  printf("%.0f\n", (double)count / (last_receipt - first_send));
  free(payload);
  int linger = 0;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
  zmq_close(socket);
  zmq_ctx_term(pub_context);
  zmq_ctx_term(sub_context);
  return 0;
}
