import { InvalidTopicError } from "../../errors.js";

const WHITESPACE = /\s/u;

/**
 * Checks that `topic` can be a NATS subject carried as it is, so that a subscriber
 * receives exactly the topics it registered: "."-separated tokens, none empty, without
 * whitespace or the wildcards `*` and `>` (which would subscribe to, or publish on, more
 * than one topic).
 *
 * @throws {@link InvalidTopicError} saying what is wrong with it.
 */
export function checkSubject(topic: string): void {
  const problem = subjectProblem(topic);
  if (problem !== undefined) {
    throw new InvalidTopicError(
      `nats_pubsub_driver: topic ${JSON.stringify(topic)} cannot be a NATS subject: ${problem}; ` +
        'NATS subjects are "."-separated tokens without whitespace, "*" or ">" (e.g. "tenant-a.ports")',
    );
  }
}

function subjectProblem(topic: string): string | undefined {
  if (topic === "") return "it is empty";
  if (WHITESPACE.test(topic)) return "it contains whitespace";
  if (topic.includes("*")) return 'it contains "*", a NATS wildcard';
  if (topic.includes(">")) return 'it contains ">", a NATS wildcard';
  if (topic.split(".").includes("")) return 'it has an empty token (a leading, trailing or doubled ".")';
  return undefined;
}
