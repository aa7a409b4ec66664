import type { PubSubOptions } from "./config.generated.js";

export type { PubSubOptions };

/**
 * The effective configuration: every option of {@link PubSubOptions} present, after
 * defaults, the file, `PUBSUB_*` environment variables and overrides were applied.
 * Generated from `schema/pubsub.schema.json`; never edited by hand.
 */
export type PubSubConfig = Readonly<Required<PubSubOptions>>;

/** Where an option's effective value came from, as named in error messages. */
export type OptionOrigin = string;
