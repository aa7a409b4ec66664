/**
 * `url` as logs and messages may show it: the password (or token) of its user part
 * replaced by `***`, so `redis://:secret@host` becomes `redis://:***@host` and
 * `nats://token@host` becomes `nats://***@host`. Several URLs separated by commas (a
 * NATS cluster) are each treated. The one redactor of the broker drivers.
 */
export function withoutCredentials(url: string): string {
  return url.replace(/(^|,\s*)([a-z][a-z0-9+.-]*:\/\/)([^/@,]*)@/gi, (_match, lead: string, scheme: string, user: string) => {
    const colon = user.indexOf(":");
    return `${lead}${scheme}${colon >= 0 ? `${user.slice(0, colon)}:***` : "***"}@`;
  });
}
