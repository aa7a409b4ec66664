import { EXPIRED, within } from "../agents/deadline.js";
import { DbError, errorMessages, reasonOf } from "../errors.js";

/** Where a database driver sends its requests, for the messages of its errors. */
export interface DbEndpoint {
  /** What the server is, in words: `etcd server`, `Redis server`. */
  readonly server: string;
  /** Its address as messages show it, credentials removed: `etcd://127.0.0.1:2379`. */
  readonly address: string;
  /** `nb_db_timeout_ms`: the longest one request may take. */
  readonly timeoutMs: number;
  /** The options that hold the credentials, as an error about connecting names them (default: "credentials"). */
  readonly credentials?: string;
}

const OPTION = "remote_db_hosts";

/**
 * Runs one request to the database within `nb_db_timeout_ms`. Every failure, the time
 * running out included, becomes a one-line {@link DbError} naming `remote_db_hosts`, the
 * server, the request and the reason; the request is not cancelled when the time runs out.
 *
 * @param what - the request, for the message: `getKey chassis/host1`.
 */
export function request<T>(endpoint: DbEndpoint, what: string, work: () => Promise<T>): Promise<T> {
  return bounded(
    endpoint,
    work,
    (reason) =>
      `${OPTION}: the ${endpoint.server} at ${endpoint.address} failed ${what}: ${reason} (nb_db_timeout_ms is ${endpoint.timeoutMs})`,
  );
}

/**
 * Connects (`work` resolves once the server answered) within `nb_db_timeout_ms`; a
 * failure becomes a {@link DbError} worded as every "cannot connect" of this package.
 */
export function connect<T>(endpoint: DbEndpoint, work: () => Promise<T>): Promise<T> {
  return bounded(endpoint, work, (reason) =>
    errorMessages.cannotConnect(
      OPTION,
      endpoint.server,
      endpoint.address,
      reason,
      { option: "nb_db_timeout_ms", ms: endpoint.timeoutMs },
      endpoint.credentials,
    ),
  );
}

async function bounded<T>(endpoint: DbEndpoint, work: () => Promise<T>, message: (reason: string) => string): Promise<T> {
  let outcome: T | typeof EXPIRED;
  try {
    outcome = await within(work(), endpoint.timeoutMs);
  } catch (err: unknown) {
    throw new DbError(message(oneLine(reasonOf(err))), { cause: err, option: OPTION });
  }
  if (outcome === EXPIRED) throw new DbError(message(`no answer within ${endpoint.timeoutMs} ms`), { option: OPTION });
  return outcome;
}

function oneLine(text: string): string {
  // grpc-js (etcd3) ends its messages with an empty "Resolution note:".
  return text
    .replace(/\s*\n\s*/g, " ")
    .replace(/\s*Resolution note:\s*$/, "")
    .replace(/\.$/, "")
    .trim();
}
