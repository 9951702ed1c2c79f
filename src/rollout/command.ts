import { NAME_PATTERN } from "../formats/environments.js";
import { suggestClosest } from "../suggest.js";
import { quoteText } from "./quote.js";

/**
 * The comment grammar of the bot (bot.md § Grammar). Parsing is strict and needs no files: anything
 * that could be a typo is refused with a precise message rather than guessed, because a guessed
 * `/rollback` at 3 a.m. is worse than a second try. Checks that need the repository (does the
 * environment or version exist) happen in planning.
 *
 * Longer than our ~500-line mark on purpose: the tokenizer, the flags and the three verbs form one
 * grammar whose error messages refer to each other, and reading it in one place is how a change
 * to the grammar stays consistent.
 */

/** The environment whose `traffic` is a share of production's requests. */
export const CANARY = "canary";

export type RollbackTarget =
  | { kind: "previous" }
  | { kind: "version"; version: string; prompt?: string; model?: string }
  | { kind: "sha"; sha: string };

export interface RollbackCommand {
  kind: "rollback";
  env: string;
  prompt?: string;
  target: RollbackTarget;
  dryRun: boolean;
  reason?: string;
}

export interface PromoteCommand {
  kind: "promote";
  from: string;
  to: string;
  prompt?: string;
  traffic?: number;
  dryRun: boolean;
  reason?: string;
  forceOrder: boolean;
  force: boolean;
}

export interface CanaryTrafficCommand {
  kind: "canary-traffic";
  traffic: number;
  dryRun: boolean;
  reason?: string;
}

export interface FreezeCommand {
  kind: "freeze";
  env: string;
  reason?: string;
}

export interface UnfreezeCommand {
  kind: "unfreeze";
  env: string;
}

export interface InvalidCommand {
  kind: "invalid";
  message: string;
  /** A corrected verb or flag, e.g. "/rollback", shown as "did you mean `/rollback`?". */
  suggestion?: string;
  /** The grammar of the verb (or of all verbs), one form per line. */
  usage: string;
}

/** Commands that change `environments.yaml`. */
export type ActionCommand =
  | RollbackCommand
  | PromoteCommand
  | CanaryTrafficCommand
  | FreezeCommand
  | UnfreezeCommand;

export type ParsedCommand =
  | { kind: "none" }
  | InvalidCommand
  | ActionCommand
  | { kind: "help" }
  | { kind: "status"; env?: string };

type Verb = "rollback" | "promote" | "promptgate";
const VERBS: readonly Verb[] = ["rollback", "promote", "promptgate"];

export const USAGE: Record<Verb, string> = {
  rollback:
    '/rollback <env> [<prompt>] [to previous | to <version> | to @<sha>] [--dry-run] [--reason "…"]',
  promote: [
    '/promote <env> to <env> [<prompt>] [--traffic N] [--dry-run] [--reason "…"] [--force-order] [--force]',
    '/promote canary --traffic N [--dry-run] [--reason "…"]',
  ].join("\n"),
  promptgate: [
    "/promptgate help",
    "/promptgate status [<env>]",
    '/promptgate freeze <env> [--reason "…"]',
    "/promptgate unfreeze <env>",
  ].join("\n"),
};
export const ALL_USAGE = VERBS.map((v) => USAGE[v]).join("\n");

/** Words people type for our verbs that edit distance alone would not catch. */
const VERB_ALIASES: Record<string, Verb> = { rollout: "rollback", revert: "rollback" };

const SUBCOMMANDS = ["help", "status", "freeze", "unfreeze"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const VERSION_SPEC =
  /^(?:([a-z0-9][a-z0-9._-]*)@)?([a-z0-9][a-z0-9._-]*)(?:\+([A-Za-z0-9][A-Za-z0-9._:/-]*))?$/;
const SHA_SPEC = /^@([0-9a-fA-F]{7,40})$/;

export function parseCommand(body: string): ParsedCommand {
  const line = firstCommandLine(body);
  if (line === undefined) return { kind: "none" };
  const head = /^\/(\S+)/.exec(line);
  if (!head) return { kind: "none" };
  const verb = head[1]!.toLowerCase();
  if (!isVerb(verb)) return nearMissVerb(verb, line);

  const tokens = tokenize(line.slice(head[0].length));
  if ("error" in tokens) return invalid(verb, tokens.error);
  switch (verb) {
    case "rollback":
      return parseRollback(tokens.tokens);
    case "promote":
      return parsePromote(tokens.tokens);
    case "promptgate":
      return parsePromptgate(tokens.tokens);
  }
}

/**
 * The first non-blank line, with surrounding backticks removed, or undefined when it cannot be a
 * command: quoted (`>`), indented, or fenced text must never trigger a change, so that quoting a
 * command (or the bot's own reply) is always safe.
 */
function firstCommandLine(body: string): string | undefined {
  const first = body.split(/\r?\n/).find((l) => l.trim() !== "");
  if (first === undefined) return undefined;
  const line = first.trimEnd();
  if (/^(```|~~~)/.test(line)) return undefined;
  const ticks = /^(`+)(.*?)(`+)$/.exec(line);
  if (ticks) {
    if (ticks[1] !== ticks[3]) return undefined;
    return ticks[2]!.startsWith("/") ? ticks[2]! : undefined;
  }
  return line.startsWith("/") ? line : undefined;
}

function isVerb(word: string): word is Verb {
  return (VERBS as readonly string[]).includes(word);
}

function nearMissVerb(verb: string, line: string): ParsedCommand {
  // `/rollback-production`, `/promote_canary`: one of our verbs, exactly, glued to its first word.
  // Never a fuzzy match or an alias: `/revert-pr`, `/roll-out`, `/remote-exec` and
  // `/rollout-restart` are other tools' commands, and a reply to them is noise.
  const glued = /^([a-z]+)[-_:.]+(\S+)$/.exec(verb);
  const gluedVerb = glued?.[1];
  if (glued && gluedVerb !== undefined && isVerb(gluedVerb)) {
    const rest = line.slice(1 + verb.length);
    return {
      kind: "invalid",
      message: `${quoteText(`/${verb}`)} is not a promptgate command`,
      suggestion: `/${gluedVerb} ${glued[2]}${rest}`,
      usage: USAGE[gluedVerb],
    };
  }
  const near = VERB_ALIASES[verb] ?? suggestClosest(verb, VERBS, { abbreviationsFrom: 4 });
  if (!near) return { kind: "none" };
  return {
    kind: "invalid",
    message: `${quoteText(`/${verb}`)} is not a promptgate command`,
    suggestion: `/${near}`,
    usage: USAGE[near],
  };
}

// ---------------------------------------------------------------------------------------------
// Tokens

interface Token {
  text: string;
  quoted: boolean;
  /** Quoted from its first character: a value, never an option. */
  startQuoted: boolean;
}

const OPEN_QUOTES: Record<string, string> = {
  '"': '"”“',
  "“": '”"“',
  "”": '”"“',
  "„": '“”"',
  "'": "'’‘",
  "‘": "’'‘",
  "’": "’'‘",
};

/**
 * Splits on whitespace; a quote opens a quoted part at the start of a token or right after `=`,
 * and closes at a matching quote followed by whitespace or the end, so `don't` stays one word.
 * Phones turn `--` into a dash: a leading em or en dash counts as `--`.
 */
function tokenize(rest: string): { tokens: Token[] } | { error: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rest.length) {
    if (/\s/.test(rest[i]!)) {
      i++;
      continue;
    }
    let text = "";
    let quoted = false;
    let startQuoted = false;
    while (i < rest.length && !/\s/.test(rest[i]!)) {
      const ch = rest[i]!;
      const closers = OPEN_QUOTES[ch];
      if (closers && (text === "" || text.endsWith("="))) {
        const end = findClosingQuote(rest, i + 1, closers);
        if (end < 0) return { error: `unterminated quote: ${quoteText(rest.slice(i))}` };
        if (text === "") startQuoted = true;
        text += rest.slice(i + 1, end);
        quoted = true;
        i = end + 1;
        continue;
      }
      text += ch;
      i++;
    }
    tokens.push({
      text: startQuoted ? text : text.replace(/^[—–](?=\S)/, "--"),
      quoted,
      startQuoted,
    });
  }
  return { tokens };
}

function findClosingQuote(s: string, from: number, closers: string): number {
  for (let j = from; j < s.length; j++) {
    if (closers.includes(s[j]!) && (j + 1 === s.length || /\s/.test(s[j + 1]!))) return j;
  }
  return -1;
}

type FlagName = "dry-run" | "reason" | "traffic" | "force-order" | "force";
const VALUE_FLAGS: ReadonlySet<FlagName> = new Set(["reason", "traffic"]);
const ALL_FLAGS: readonly FlagName[] = ["dry-run", "reason", "traffic", "force-order", "force"];

interface Args {
  words: string[];
  flags: Map<FlagName, string | true>;
}

function isOption(tok: Token): boolean {
  return !tok.startQuoted && tok.text.startsWith("-");
}

function splitArgs(
  tokens: Token[],
  allowed: readonly FlagName[],
  form: string,
): Args | { error: string; suggestion?: string } {
  const words: string[] = [];
  const flags = new Map<FlagName, string | true>();
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!isOption(tok)) {
      words.push(tok.text);
      continue;
    }
    const eq = tok.text.indexOf("=");
    const raw = (eq < 0 ? tok.text : tok.text.slice(0, eq)).toLowerCase();
    const name = raw.replace(/^--?/, "");
    if (!raw.startsWith("--") || !(ALL_FLAGS as readonly string[]).includes(name)) {
      const near = suggestClosest(name, allowed, { abbreviationsFrom: 4 });
      return {
        error: `unknown option ${quoteText(raw)}`,
        ...(near ? { suggestion: `--${near}` } : {}),
      };
    }
    const flag = name as FlagName;
    if (!allowed.includes(flag)) return { error: `\`--${flag}\` is not an option of \`${form}\`` };
    if (flags.has(flag)) return { error: `\`--${flag}\` is given twice` };
    if (!VALUE_FLAGS.has(flag)) {
      if (eq >= 0) return { error: `\`--${flag}\` takes no value` };
      flags.set(flag, true);
      continue;
    }
    let value: string;
    let quoted: boolean = tok.quoted;
    if (eq >= 0) {
      value = tok.text.slice(eq + 1);
    } else {
      const next = tokens[i + 1];
      if (!next || (!next.startQuoted && next.text.startsWith("--"))) {
        return { error: `\`--${flag}\` needs a value` };
      }
      value = next.text;
      quoted = next.startQuoted;
      i++;
    }
    if (flag === "reason") {
      value = value.trim();
      if (value === "") return { error: "`--reason` is empty" };
      const more: string[] = [];
      for (let j = i + 1; j < tokens.length && !isOption(tokens[j]!); j++)
        more.push(tokens[j]!.text);
      // `--reason broke it`: swallowing `it` as a prompt name would change what the command does.
      if (!quoted && more.length > 0) {
        return {
          error: `unexpected ${quoteText(more.join(" "))} after ${quoteText(`--reason ${value}`)}: put a reason of several words in quotes, ${quoteText(`--reason "${[value, ...more].join(" ")}"`)}`,
        };
      }
    }
    flags.set(flag, value);
  }
  return { words, flags };
}

function reasonOf(args: Args): { reason?: string } {
  const r = args.flags.get("reason");
  return typeof r === "string" ? { reason: r } : {};
}

function extraWords(verb: Verb, extra: string[]): InvalidCommand {
  return invalid(verb, `unexpected ${quoteText(extra.join(" "))}`);
}

function invalid(verb: Verb, message: string, suggestion?: string): InvalidCommand {
  return {
    kind: "invalid",
    message,
    ...(suggestion ? { suggestion } : {}),
    usage: USAGE[verb],
  };
}

/**
 * Environment names are lowercase (see NAME_PATTERN), so `PRODUCTION` or `Production` can only
 * mean `production`: understood, not guessed. Anything else is left for {@link checkName}.
 */
function envName(word: string): string {
  const lower = word.toLowerCase();
  return word !== lower && NAME_PATTERN.test(lower) ? lower : word;
}

function checkName(verb: Verb, what: string, word: string): InvalidCommand | undefined {
  if (NAME_PATTERN.test(word)) return undefined;
  return invalid(
    verb,
    `${quoteText(word)} is not a valid ${what} name (lowercase letters, digits, \`.\`, \`_\`, \`-\`)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Verbs

function parseRollback(tokens: Token[]): ParsedCommand {
  const args = splitArgs(tokens, ["dry-run", "reason"], "/rollback");
  if ("error" in args) return invalid("rollback", args.error, args.suggestion);
  const [typedEnv, ...rest] = args.words;
  if (typedEnv === undefined) {
    return invalid("rollback", "name the environment to roll back: there is no default");
  }
  const env = envName(typedEnv);
  const bad = checkName("rollback", "environment", env);
  if (bad) return bad;

  let prompt: string | undefined;
  if (rest[0] !== undefined && rest[0] !== "to" && !looksLikeTarget(rest[0])) {
    const word = rest.shift()!;
    const badPrompt = checkName("rollback", "prompt", word);
    if (badPrompt) return badPrompt;
    prompt = word;
  }

  // `/rollback production v3`: a version (or `@<sha>`) where a prompt or `to` belongs.
  const misplaced = rest[0];
  if (misplaced !== undefined && misplaced !== "to" && looksLikeTarget(misplaced)) {
    const parsed = parseTarget(misplaced);
    if ("error" in parsed) return invalid("rollback", parsed.error);
    const what = parsed.kind === "sha" ? "commit" : "version";
    // `v3 to v2`, `v3 v2`: adding `to` would not make a command, and which target was meant is
    // a guess.
    if (rest.length > 1) {
      return invalid(
        "rollback",
        `unexpected ${what} ${quoteText(misplaced)}: name one target, after \`to\``,
      );
    }
    const fixed = [env, ...(prompt !== undefined ? [prompt] : []), "to", misplaced];
    return invalid(
      "rollback",
      `${quoteText(misplaced)} is a ${what}: write ${quoteText(`to ${misplaced}`)}`,
      `/rollback ${[...fixed, ...typedFlags(args)].join(" ")}`,
    );
  }

  let target: RollbackTarget = { kind: "previous" };
  if (rest[0] === "to") {
    rest.shift();
    const spec = rest.shift();
    if (spec === undefined) {
      return invalid("rollback", "`to` needs a target: `previous`, a version, or `@<sha>`");
    }
    const parsed = parseTarget(spec);
    if ("error" in parsed) return invalid("rollback", parsed.error);
    target = parsed;
  }
  if (rest.length > 0) return extraWords("rollback", rest);

  if (target.kind === "version" && target.prompt !== undefined) {
    if (prompt !== undefined && prompt !== target.prompt) {
      return invalid(
        "rollback",
        `the prompt ${quoteText(prompt)} and the version ${quoteText(`${target.prompt}@${target.version}`)} disagree`,
      );
    }
    prompt = target.prompt;
  }
  if (target.kind === "version" && prompt !== undefined) target = { ...target, prompt };
  return {
    kind: "rollback",
    env,
    ...(prompt !== undefined ? { prompt } : {}),
    target,
    dryRun: args.flags.has("dry-run"),
    ...reasonOf(args),
  };
}

/** `v3`, `support-answer@v4`, `@abc1234`: a rollback target, never a prompt name. */
function looksLikeTarget(word: string): boolean {
  return word.includes("@") || looksLikeVersion(word);
}

/** The flags as typed, in the order typed, so that a suggested command keeps every one. */
function typedFlags(args: Args): string[] {
  return [...args.flags].map(([flag, value]) =>
    value === true ? `--${flag}` : `--${flag} ${flag === "reason" ? quoteValue(value) : value}`,
  );
}

/**
 * A value in quotes that {@link tokenize} reads back as the same value: a quote closes at a
 * matching quote followed by whitespace, so the quote chosen must not occur before whitespace
 * inside the value. A value the parser read always fits in one of the two kinds of quotes.
 */
function quoteValue(value: string): string {
  const fits = (closers: string): boolean => {
    for (let j = 0; j + 1 < value.length; j++) {
      if (closers.includes(value[j]!) && /\s/.test(value[j + 1]!)) return false;
    }
    return true;
  };
  if (fits(OPEN_QUOTES['"']!)) return `"${value}"`;
  if (fits(OPEN_QUOTES["'"]!)) return `'${value}'`;
  return `"${value}"`;
}

/** `v3`, `v3.1`, `v3+gpt-4o`: a version, never a prompt name. */
function looksLikeVersion(word: string): boolean {
  return /^v\d+(?:\.\d+)*(?:\+\S+)?$/i.test(word);
}

function parseTarget(spec: string): RollbackTarget | { error: string } {
  if (spec === "previous") return { kind: "previous" };
  const sha = SHA_SPEC.exec(spec);
  if (sha) return { kind: "sha", sha: sha[1]!.toLowerCase() };
  if (spec.startsWith("@")) {
    return { error: `${quoteText(spec)} is not a commit: write \`@\` and 7 to 40 hex digits` };
  }
  const m = VERSION_SPEC.exec(spec);
  if (!m) {
    return {
      error: `${quoteText(spec)} is not a version: write \`v7\`, \`support-answer@v7\` or \`support-answer@v7+<model>\``,
    };
  }
  return {
    kind: "version",
    version: m[2]!,
    ...(m[1] !== undefined ? { prompt: m[1] } : {}),
    ...(m[3] !== undefined ? { model: m[3] } : {}),
  };
}

function parseTraffic(value: string): number | { error: string } {
  const m = /^(-?\d+(?:\.\d+)?)%?$/.exec(value);
  if (!m)
    return {
      error: `${quoteText(`--traffic ${value}`)} is not a number: give an integer from 0 to 100`,
    };
  const n = Number(m[1]);
  if (!Number.isInteger(n)) {
    return {
      error: `${quoteText(`--traffic ${value}`)} is not an integer: give an integer from 0 to 100`,
    };
  }
  if (n < 0 || n > 100)
    return { error: `${quoteText(`--traffic ${value}`)} is outside the range 0 to 100` };
  return n;
}

function parsePromote(tokens: Token[]): ParsedCommand {
  const args = splitArgs(
    tokens,
    ["dry-run", "reason", "traffic", "force-order", "force"],
    "/promote",
  );
  if ("error" in args) return invalid("promote", args.error, args.suggestion);
  const [typedFrom, ...rest] = args.words;
  if (typedFrom === undefined) {
    return invalid("promote", "name the environments: `/promote <env> to <env>`");
  }
  const from = envName(typedFrom);
  const bad = checkName("promote", "environment", from);
  if (bad) return bad;

  let traffic: number | undefined;
  const rawTraffic = args.flags.get("traffic");
  if (typeof rawTraffic === "string") {
    const t = parseTraffic(rawTraffic);
    if (typeof t !== "number") return invalid("promote", t.error);
    traffic = t;
  }
  const dryRun = args.flags.has("dry-run");

  if (rest.length === 0) {
    if (traffic === undefined) {
      return invalid(
        "promote",
        `promote ${quoteText(from)} to which environment? Add \`to <env>\``,
      );
    }
    if (from !== CANARY) {
      return invalid(
        "promote",
        `\`--traffic\` is only for ${CANARY}: ${quoteText(from)} serves all of its requests`,
      );
    }
    for (const f of ["force", "force-order"] as const) {
      if (args.flags.has(f)) {
        return invalid("promote", `\`--${f}\` is not an option of a ${CANARY} traffic change`);
      }
    }
    return { kind: "canary-traffic", traffic, dryRun, ...reasonOf(args) };
  }

  if (rest[0] !== "to") return invalid("promote", `expected \`to <env>\` after ${quoteText(from)}`);
  const to = rest[1] === undefined ? undefined : envName(rest[1]);
  if (to === undefined) return invalid("promote", "`to` needs an environment");
  const badTo = checkName("promote", "environment", to);
  if (badTo) return badTo;
  if (to === from) return invalid("promote", `${quoteText(from)} cannot be promoted to itself`);

  let prompt: string | undefined;
  const extra = rest.slice(2);
  if (extra[0] !== undefined) {
    const word = extra.shift()!;
    if (word.includes("@")) {
      return invalid(
        "promote",
        `promote copies the pins of ${quoteText(from)}: name a prompt, not a version (${quoteText(word)})`,
      );
    }
    const badPrompt = checkName("promote", "prompt", word);
    if (badPrompt) return badPrompt;
    prompt = word;
  }
  if (extra.length > 0) return extraWords("promote", extra);

  if (traffic !== undefined && to !== CANARY) {
    const why =
      from === CANARY
        ? ` (\`/promote ${CANARY} to ${to}\` already sets ${CANARY} traffic to 0)`
        : `: ${quoteText(to)} serves all of its requests`;
    return invalid("promote", `\`--traffic\` is only for ${CANARY}${why}`);
  }
  return {
    kind: "promote",
    from,
    to,
    ...(prompt !== undefined ? { prompt } : {}),
    ...(traffic !== undefined ? { traffic } : {}),
    dryRun,
    ...reasonOf(args),
    forceOrder: args.flags.has("force-order"),
    force: args.flags.has("force"),
  };
}

function parsePromptgate(tokens: Token[]): ParsedCommand {
  const first = tokens[0];
  if (first === undefined) return { kind: "help" };
  const sub = first.text.toLowerCase();
  if (first.quoted || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    const near = first.quoted
      ? undefined
      : suggestClosest(sub, SUBCOMMANDS, { abbreviationsFrom: 4 });
    return invalid(
      "promptgate",
      `${quoteText(first.text)} is not a \`/promptgate\` command`,
      near ? `/promptgate ${near}` : undefined,
    );
  }
  const subcommand = sub as Subcommand;
  const form = `/promptgate ${subcommand}`;
  const args = splitArgs(tokens.slice(1), subcommand === "freeze" ? ["reason"] : [], form);
  if ("error" in args) return invalid("promptgate", args.error, args.suggestion);
  const [typedEnv, ...extra] = args.words;
  const env = typedEnv === undefined ? undefined : envName(typedEnv);
  if (extra.length > 0) return extraWords("promptgate", extra);
  if (env !== undefined) {
    const bad = checkName("promptgate", "environment", env);
    if (bad) return bad;
  }
  switch (subcommand) {
    case "help":
      return env === undefined ? { kind: "help" } : extraWords("promptgate", [env]);
    case "status":
      return env === undefined ? { kind: "status" } : { kind: "status", env };
    case "freeze":
      if (env === undefined) return invalid("promptgate", "name the environment to freeze");
      return { kind: "freeze", env, ...reasonOf(args) };
    case "unfreeze":
      if (env === undefined) return invalid("promptgate", "name the environment to unfreeze");
      return { kind: "unfreeze", env };
  }
}

/** The command as a user would type it, for replies and logs. */
export function formatCommand(
  cmd: ActionCommand | { kind: "help" } | { kind: "status"; env?: string },
): string {
  const flags = (c: { dryRun?: boolean; reason?: string }): string =>
    (c.dryRun ? " --dry-run" : "") +
    (c.reason !== undefined ? ` --reason ${quoteValue(c.reason)}` : "");
  switch (cmd.kind) {
    case "rollback": {
      const target =
        cmd.target.kind === "previous"
          ? ""
          : cmd.target.kind === "sha"
            ? ` to @${cmd.target.sha}`
            : ` to ${cmd.target.version}${cmd.target.model ? `+${cmd.target.model}` : ""}`;
      return `/rollback ${cmd.env}${cmd.prompt ? ` ${cmd.prompt}` : ""}${target}${flags(cmd)}`;
    }
    case "promote":
      return (
        `/promote ${cmd.from} to ${cmd.to}${cmd.prompt ? ` ${cmd.prompt}` : ""}` +
        (cmd.traffic !== undefined ? ` --traffic ${cmd.traffic}` : "") +
        flags(cmd) +
        (cmd.forceOrder ? " --force-order" : "") +
        (cmd.force ? " --force" : "")
      );
    case "canary-traffic":
      return `/promote ${CANARY} --traffic ${cmd.traffic}${flags(cmd)}`;
    case "freeze":
      return `/promptgate freeze ${cmd.env}${flags(cmd)}`;
    case "unfreeze":
      return `/promptgate unfreeze ${cmd.env}`;
    case "help":
      return "/promptgate help";
    case "status":
      return `/promptgate status${cmd.env ? ` ${cmd.env}` : ""}`;
  }
}
