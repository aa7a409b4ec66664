import { basename, extname } from "node:path";
import { INI_SECTIONS } from "./ini.js";
import { scanJson } from "./json-text.js";

const YAML_KEY = /^( *)(?:"([^"]*)"|'([^']*)'|([^\s:#'"\-[{][^:#]*?))\s*:(?:\s|$)/;
const INI_SECTION = /^\s*\[([^\]]+)\]/;
const INI_KEY = /^\s*([^=;#\s[][^=]*?)\s*=/;

/**
 * The line each key of a config file sits on, by dotted option path (`zmq.linger_ms`),
 * for saying where a value came from. JSON is read exactly; YAML by the indentation of
 * block mappings (a key inside a flow mapping `{...}` is given its parent's line); INI
 * by sections, `[df]` and `[pubsub]` holding top-level options. package.json's are the
 * keys under `"pubsub"`.
 */
export function keyLines(filepath: string, content: string): Map<string, number> {
  const ext = extname(filepath);
  if (basename(filepath) === "package.json") return underKey(scanJson(content).keyLines, "pubsub");
  if (ext === ".json" || (ext === "" && content.trimStart().startsWith("{"))) return scanJson(content).keyLines;
  if (ext === ".ini") return iniKeyLines(content);
  return yamlKeyLines(content);
}

function underKey(lines: ReadonlyMap<string, number>, key: string): Map<string, number> {
  const prefix = `${key}.`;
  return new Map([...lines].filter(([path]) => path.startsWith(prefix)).map(([path, line]) => [path.slice(prefix.length), line]));
}

function yamlKeyLines(content: string): Map<string, number> {
  const found = new Map<string, number>();
  const stack: { indent: number; key: string }[] = [];
  content.split("\n").forEach((text, index) => {
    const match = YAML_KEY.exec(text);
    if (match === null) return;
    const indent = match[1]?.length ?? 0;
    const key = (match[2] ?? match[3] ?? match[4] ?? "").trim();
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    stack.push({ indent, key });
    found.set(stack.map((entry) => entry.key).join("."), index + 1);
  });
  return found;
}

function iniKeyLines(content: string): Map<string, number> {
  const found = new Map<string, number>();
  let section = "";
  content.split("\n").forEach((text, index) => {
    const header = INI_SECTION.exec(text);
    if (header !== null) {
      section = (header[1] ?? "").trim();
      return;
    }
    const key = INI_KEY.exec(text)?.[1];
    if (key === undefined) return;
    const topLevel = section === "" || (INI_SECTIONS as readonly string[]).includes(section);
    found.set(topLevel ? key : `${section}.${key}`, index + 1);
  });
  return found;
}
