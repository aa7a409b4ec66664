/**
 * The registry's log messages that tools follow (`pubsub-run demo --discovery` narrates
 * them from the services' JSON logs and its subscriber's logger): one place, so that
 * rewording one cannot silently break what reads it.
 */
export const REGISTRY_MESSAGES = Object.freeze({
  /** A publisher service wrote its row (fields `id`, `uri`). */
  registered: "registered in the publisher table",
  /** A publisher service deleted another's stale row (fields `id`, `uri`, `last_activity_timestamp`). */
  staleRemoved: "removed a stale publisher",
  /** A discovering subscriber connects to a publisher of the table (field `uri`). */
  discovered: "discovered a publisher",
  /** A discovering subscriber left a publisher whose row is gone or stale (field `uri`). */
  left: "a publisher left the publisher table",
});
