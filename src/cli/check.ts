import type { DriverRole } from "../contract.js";
import { printableOptionValue } from "../secrets.js";
import { DriverAgents } from "../loader/driver-agents.js";
import { DRIVER_OPTION } from "../loader/drivers.js";
import { listenAddresses } from "../loader/load.js";
import { resolveConfig } from "../loader/resolve-config.js";
import { valueOrigins } from "../loader/value-origins.js";
import { createStderrLogger } from "../logger.js";
import { parseCommandArgs } from "./args.js";

export const CHECK_HELP = `Usage: pubsub-run check [--config FILE] [--set key=value]... [--origins] [--debug]

Validates the configuration, imports the driver modules it names and creates each
driver (which checks its own options, such as the transport; nothing is bound or
connected), and prints the effective config and the resolved drivers as JSON on stdout,
with "warnings" when there are any (a ZeroMQ publisher bound beyond loopback without
zmq.curve, a PUBSUB_* variable a typo away from an option's).
Secrets are printed as ***: passwords, tokens and credentials inside URLs.

Options:
  -c, --config FILE     config file to use (default: search pubsub.config.yaml,
                        .pubsubrc*, package.json "pubsub", ... up to the project root)
      --set key=value   override an option (repeatable; dotted keys for maps,
                        e.g. --set drivers.mine=./my-driver.mjs)
      --origins         add "origins": where each value came from (file:line,
                        PUBSUB_X, --set x, or default)
      --debug           print stack traces on errors
  -h, --help            show this help

Exit codes: 0 valid, 2 bad config or driver (one line on stderr per problem, each
naming the file, the option and the fix).
`;

/** `pubsub-run check`: validate, resolve and create the drivers, print the effective config. */
export async function runCheck(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("check", args, { origins: { type: "boolean" } });
  if (values.help === true) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const resolved = await resolveConfig({ configPath: values.config, overrides: values.set ?? [] });
  const { config } = resolved;
  const notes: string[] = [];
  const roles: DriverRole[] = ["network"];
  if (config.pub_sub_use_multiproc) {
    roles.push("multiproc");
  } else {
    notes.push(
      "pub_sub_use_multiproc is false: publishers send straight to the network with pub_sub_driver; " +
        "the publisher service is not needed and pub_sub_multiproc_driver and publisher_multiproc_socket are ignored",
    );
  }
  // Creating the drivers runs their own checks (the ZeroMQ network driver refuses a
  // transport it cannot bind), so check refuses what `service` would.
  const agents = new DriverAgents(resolved, createStderrLogger());
  const drivers: Record<string, unknown> = {};
  const secretOptions: string[] = [];
  for (const role of roles) {
    const { mod, description } = await agents.driver(role);
    // A third-party driver's description is checked for what the loader needs, not this.
    const named: unknown = description.secretOptions;
    if (Array.isArray(named)) secretOptions.push(...named.filter((path): path is string => typeof path === "string"));
    drivers[role] = {
      option: DRIVER_OPTION[role],
      name: mod.resolved.name,
      source: mod.resolved.source,
      module: mod.resolved.importTarget,
      topology: description.topology,
      address: description.address,
    };
  }
  const network = (await agents.driver("network")).description;
  const warnings = [...resolved.warnings, ...(network.warnings ?? [])];
  if (network.topology === "broker") notes.push(brokerNote(config.pub_sub_driver, config.pub_sub_use_multiproc));
  const publishers = listenAddresses(config, network, resolved.origins).map((address) => network.redact?.(address) ?? address);
  // Secrets are masked: those the drivers name, those named like one, and credentials in URLs.
  const printable = printableOptionValue("", { ...config, publishers }, secretOptions);
  const report = {
    configFile: resolved.filepath,
    config: printable,
    drivers,
    notes,
    ...(warnings.length === 0 ? {} : { warnings }),
    ...(values.origins === true ? { origins: await valueOrigins(resolved) } : {}),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

/** What a broker driver does with this config: it binds nothing, so publishers can go straight to the broker. */
function brokerNote(alias: string, useMultiproc: boolean): string {
  const binds =
    `pub_sub_driver ${alias} is a broker driver: it binds nothing (publisher_port, publisher_bind_address and ` +
    "publisher_transport do not apply) and subscribers receive from the brokers in publishers";
  if (!useMultiproc) return `${binds}; every process publishes straight to the broker, no publisher service is needed`;
  return (
    `${binds}. pub_sub_use_multiproc is true, so workers publish into the publisher service (pubsub-run service, one per host) ` +
    "over publisher_multiproc_socket, and the service relays their events to the broker over one connection; " +
    "without a running service their events wait in the workers. A broker driver needs no service: " +
    "set pub_sub_use_multiproc: false to have every process publish straight to the broker"
  );
}
