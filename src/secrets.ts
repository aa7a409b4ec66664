/**
 * Secrets as messages may print them: the one place that knows what a secret looks like
 * (an option named like one, credentials inside a URL). Dependency-free, for the
 * drivers, the loader and the CLI alike.
 */

/** What a secret is printed as. */
export const SECRET_MASK = "***";

/**
 * `url` as logs and messages may show it: the password (or token) of its user part
 * replaced by `***`, so `redis://:secret@host` becomes `redis://:***@host` and
 * `nats://token@host` becomes `nats://***@host`; so is the value of a `password`,
 * `pass` or `token` query parameter. Several URLs separated by commas (a NATS cluster)
 * are each treated. The one redactor: drivers, loader and CLI use it.
 */
export function withoutCredentials(url: string): string {
  return url
    .replace(/(^|,\s*)([a-z][a-z0-9+.-]*:\/\/)([^/?#@,]*)@/gi, (_match, lead: string, scheme: string, user: string) => {
      const colon = user.indexOf(":");
      return `${lead}${scheme}${colon >= 0 ? `${user.slice(0, colon)}:${SECRET_MASK}` : SECRET_MASK}@`;
    })
    .replace(/([?&](?:password|pass|token)=)[^&#,\s]*/gi, `$1${SECRET_MASK}`);
}

/**
 * True when the option at `path` (dotted, `nats.token`) holds a secret by its name: its
 * last part is, or ends in `_`, `password`, `pass`, `passphrase`, `token`, `secret` or
 * `credentials`. Used where no driver was created to say so (validation errors, the
 * sections of drivers not in use); a driver names its own in
 * `DriverDescription.secretOptions`.
 */
export function isSecretOption(path: string): boolean {
  const name = path.slice(path.lastIndexOf(".") + 1);
  return /(^|_)(password|pass|passphrase|token|secret|credentials)$/i.test(name);
}

/**
 * The value of the option at `path` as messages may print it: `***` for a secret
 * option ({@link isSecretOption}, or one of `secretPaths`), every string with
 * {@link withoutCredentials}; arrays and objects (a section) are treated member by
 * member, each at its own path. Validation errors that echo a value (`(got ...)`) call
 * it with the option's path.
 *
 * @example
 * ```ts
 * printableOptionValue("redis.password", "s3cret"); // "***"
 * printableOptionValue("redis", { url: "redis://:s3cret@h", password: "s3cret" });
 * // { url: "redis://:***@h", password: "***" }
 * ```
 */
export function printableOptionValue(path: string, value: unknown, secretPaths: readonly string[] = []): unknown {
  if (value === undefined || value === null) return value;
  if (path !== "" && (isSecretOption(path) || secretPaths.includes(path))) return SECRET_MASK;
  if (typeof value === "string") return withoutCredentials(value);
  if (Array.isArray(value)) return value.map((item: unknown) => printableOptionValue(path, item, secretPaths));
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return Object.fromEntries(
      entries.map(([key, item]) => [key, printableOptionValue(path === "" ? key : `${path}.${key}`, item, secretPaths)]),
    );
  }
  return value;
}

/**
 * A client library's command, attached to its error, as logs may show it: its name, and
 * `***` for its arguments, which may hold a secret. ioredis puts the command an answer
 * refused on its `ReplyError`, so the `HELLO 3 AUTH user password` of a reconnection
 * with a password the server no longer takes would print the password. Anything that
 * is not such a command (an object with an `args` array) is returned as is.
 *
 * @example
 * ```ts
 * printableCommand({ name: "hello", args: ["3", "AUTH", "default", "s3cret"] }); // { name: "hello", args: "***" }
 * ```
 */
export function printableCommand(command: unknown): unknown {
  if (typeof command !== "object" || command === null || !Array.isArray((command as { args?: unknown }).args)) return command;
  return { name: (command as { name?: unknown }).name, args: SECRET_MASK };
}
