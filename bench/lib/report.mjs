// The machine a run happened on, and the results as a text table or Markdown.
import { cpus, release, totalmem, type } from "node:os";
import * as zmq from "zeromq";

/** What a reader needs to know of the machine to read the numbers. */
export function machine() {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    libzmq: zmq.version,
  };
}

function format(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return "-";
  if (unit === "events/s" || unit === "events") return Math.round(value).toLocaleString("en-US");
  if (unit === "µs" || unit === "MB" || unit === "KB") return value.toFixed(1);
  return String(value);
}

function cells(result) {
  return [
    result.scenario,
    result.variant,
    `${format(result.ours, result.unit)} ${result.unit}`,
    result.raw === null ? "-" : `${format(result.raw, result.unit)} ${result.unit}`,
    result.ratio === null ? "-" : `${result.ratio.toFixed(2)}x`,
    result.target ?? "-",
    result.pass === null ? "" : result.pass ? "ok" : "MISSED",
  ];
}

const HEADER = ["scenario", "variant", "ours (median)", "raw (median)", "ours/raw", "target", ""];

/** A plain-text table for the terminal. */
export function textTable(results) {
  const rows = [HEADER, ...results.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cellsOfRow) => cellsOfRow[column].length)));
  return rows
    .map((cellsOfRow) =>
      cellsOfRow
        .map((cell, column) => cell.padEnd(widths[column]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A Markdown table. */
export function markdownTable(results) {
  const line = (cellsOfRow) => `| ${cellsOfRow.join(" | ")} |`;
  return [line(HEADER), line(HEADER.map(() => "---")), ...results.map((result) => line(cells(result)))].join("\n");
}
