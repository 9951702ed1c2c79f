import { describe, expect, test } from "vitest";
import {
  type ActionCommand,
  formatCommand,
  type ParsedCommand,
  parseCommand,
  USAGE,
} from "../../../src/rollout/command.js";

const base = { dryRun: false };
const promote = { dryRun: false, forceOrder: false, force: false };

describe("every form of the grammar", () => {
  const cases: [string, ParsedCommand][] = [
    [
      "/rollback production",
      { kind: "rollback", env: "production", target: { kind: "previous" }, ...base },
    ],
    [
      "/rollback production support-answer",
      {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: { kind: "previous" },
        ...base,
      },
    ],
    [
      "/rollback production to previous",
      { kind: "rollback", env: "production", target: { kind: "previous" }, ...base },
    ],
    [
      "/rollback production support-answer to v4",
      {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: { kind: "version", version: "v4", prompt: "support-answer" },
        ...base,
      },
    ],
    [
      "/rollback production to support-answer@v4",
      {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: { kind: "version", version: "v4", prompt: "support-answer" },
        ...base,
      },
    ],
    [
      "/rollback production to support-answer@v7+gpt-4o-2024-08-06",
      {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: {
          kind: "version",
          version: "v7",
          prompt: "support-answer",
          model: "gpt-4o-2024-08-06",
        },
        ...base,
      },
    ],
    [
      "/rollback production support-answer to @ABC1234def",
      {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: { kind: "sha", sha: "abc1234def" },
        ...base,
      },
    ],
    [
      '/rollback production --dry-run --reason "v5 promises refunds"',
      {
        kind: "rollback",
        env: "production",
        target: { kind: "previous" },
        dryRun: true,
        reason: "v5 promises refunds",
      },
    ],
    [
      "/rollback production --reason “curly quotes work” --dry-run",
      {
        kind: "rollback",
        env: "production",
        target: { kind: "previous" },
        dryRun: true,
        reason: "curly quotes work",
      },
    ],
    [
      "/rollback production --reason 'don't panic'",
      {
        kind: "rollback",
        env: "production",
        target: { kind: "previous" },
        ...base,
        reason: "don't panic",
      },
    ],
    [
      '/rollback production --reason="with equals"',
      {
        kind: "rollback",
        env: "production",
        target: { kind: "previous" },
        ...base,
        reason: "with equals",
      },
    ],
    [
      "/rollback production --reason flaky",
      {
        kind: "rollback",
        env: "production",
        target: { kind: "previous" },
        ...base,
        reason: "flaky",
      },
    ],
    [
      "/rollback production —dry-run",
      { kind: "rollback", env: "production", target: { kind: "previous" }, dryRun: true },
    ],
    [
      "/Rollback canary",
      { kind: "rollback", env: "canary", target: { kind: "previous" }, ...base },
    ],
    [
      "`/rollback production`",
      { kind: "rollback", env: "production", target: { kind: "previous" }, ...base },
    ],
    [
      "\n\n  \n/rollback production\nsecond line is prose: /promote staging to production",
      { kind: "rollback", env: "production", target: { kind: "previous" }, ...base },
    ],
    ["/promote staging to canary", { kind: "promote", from: "staging", to: "canary", ...promote }],
    [
      "/promote staging to canary support-answer --traffic 10",
      {
        kind: "promote",
        from: "staging",
        to: "canary",
        prompt: "support-answer",
        traffic: 10,
        ...promote,
      },
    ],
    [
      "/promote staging to canary --traffic 0",
      { kind: "promote", from: "staging", to: "canary", traffic: 0, ...promote },
    ],
    [
      '/promote canary to production --dry-run --reason "ship it"',
      {
        kind: "promote",
        from: "canary",
        to: "production",
        ...promote,
        dryRun: true,
        reason: "ship it",
      },
    ],
    [
      "/promote staging to production --force-order --force",
      {
        kind: "promote",
        from: "staging",
        to: "production",
        ...promote,
        forceOrder: true,
        force: true,
      },
    ],
    ["/promote canary --traffic 25", { kind: "canary-traffic", traffic: 25, dryRun: false }],
    ["/promote canary --traffic=100%", { kind: "canary-traffic", traffic: 100, dryRun: false }],
    [
      '/promote canary --traffic 50 --dry-run --reason "ramp"',
      { kind: "canary-traffic", traffic: 50, dryRun: true, reason: "ramp" },
    ],
    ["/promptgate", { kind: "help" }],
    ["/promptgate help", { kind: "help" }],
    ["/promptgate status", { kind: "status" }],
    ["/promptgate status production", { kind: "status", env: "production" }],
    ["/promptgate freeze production", { kind: "freeze", env: "production" }],
    [
      '/promptgate freeze production --reason "incident 42"',
      { kind: "freeze", env: "production", reason: "incident 42" },
    ],
    ["/promptgate unfreeze production", { kind: "unfreeze", env: "production" }],
  ];
  test.each(cases)("%j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  test("a parsed command prints back as itself", () => {
    for (const [body] of cases) {
      const parsed = parseCommand(body);
      if (parsed.kind === "none" || parsed.kind === "invalid") continue;
      expect(parseCommand(formatCommand(parsed))).toEqual(parsed);
    }
  });

  test("a reason holding a double quote prints back as itself", () => {
    const parsed = parseCommand(`/rollback production --reason 'the "fix" broke refunds'`);
    expect(parsed).toMatchObject({ kind: "rollback", reason: 'the "fix" broke refunds' });
    expect(parseCommand(formatCommand(parsed as ActionCommand))).toEqual(parsed);
  });
});

describe("text that is not a command", () => {
  test.each([
    ["empty", ""],
    ["blank lines", "\n  \n\t\n"],
    ["prose", "Looks good to me"],
    ["quoted", "> /rollback production"],
    ["indented", "  /rollback production"],
    ["tab-indented", "\t/rollback production"],
    ["fenced", "```\n/rollback production\n```"],
    ["tilde fence", "~~~\n/rollback production\n~~~"],
    ["command on the second line", "Heads up:\n/rollback production"],
    ["inline code in prose", "`/rollback production` is what I would run"],
    ["unbalanced backticks", "``/rollback production`"],
    ["someone else's command", "/retest"],
    ["GitHub's own", "/label bug"],
    ["slash alone", "/ rollback production"],
    ["path", "/usr/bin/env is missing"],
    // Another tool's command whose first word is close to (or an alias of) one of our verbs: only
    // our verbs exactly are read as glued to their first word.
    ["another bot's revert", "/revert-pr"],
    ["another bot's rollout", "/roll-out"],
    ["a remote execution", "/remote-exec"],
    ["a Kubernetes restart", "/rollout-restart deployment/web"],
    ["a glued near-miss verb", "/promot-canary --traffic 5"],
  ])("%s", (_, body) => {
    expect(parseCommand(body)).toEqual({ kind: "none" });
  });
});

describe("bad input is invalid with a precise message", () => {
  const cases: [string, string, RegExp, string?][] = [
    ["near-miss verb", "/rolback production", /not a promptgate command/, "/rollback"],
    ["near-miss verb", "/rollbak production", /not a promptgate command/, "/rollback"],
    ["near-miss verb", "/promot staging to canary", /not a promptgate command/, "/promote"],
    ["near-miss verb", "/promtpgate status", /not a promptgate command/, "/promptgate"],
    ["domain word", "/rollout production", /not a promptgate command/, "/rollback"],
    ["abbreviation", "/roll production", /not a promptgate command/, "/rollback"],
    ["missing env", "/rollback", /name the environment.*no default/],
    ["missing env", "/rollback --dry-run", /no default/],
    ["bad env name", "/rollback Prod!", /`Prod!` is not a valid environment name/],
    ["extra words", "/rollback production support-answer extra", /unexpected `extra`/],
    [
      "unquoted reason",
      "/rollback production --reason broke it",
      /unexpected `it`.*in quotes, `--reason "broke it"`/,
    ],
    ["unquoted reason", "/rollback production --reason broke it --dry-run", /in quotes/],
    [
      "version without to",
      "/rollback production support-answer@v4",
      /write `to support-answer@v4`/,
      "/rollback production to support-answer@v4",
    ],
    [
      "missing to",
      "/rollback production v3",
      /`v3` is a version: write `to v3`/,
      "/rollback production to v3",
    ],
    [
      "missing to after a prompt",
      "/rollback production support-answer v3+gpt-4o --dry-run",
      /`v3\+gpt-4o` is a version: write `to v3\+gpt-4o`/,
      "/rollback production support-answer to v3+gpt-4o --dry-run",
    ],
    [
      "verb glued to the environment",
      "/rollback-production",
      /`\/rollback-production` is not a promptgate command/,
      "/rollback production",
    ],
    [
      "verb glued to the environment, with more",
      "/rollback_production to v3 --dry-run",
      /not a promptgate command/,
      "/rollback production to v3 --dry-run",
    ],
    [
      "verb glued to the environment, with flags",
      "/promote-canary --traffic 5",
      /`\/promote-canary` is not a promptgate command/,
      "/promote canary --traffic 5",
    ],
    [
      "verb glued to the subcommand",
      "/promptgate_status production",
      /not a promptgate command/,
      "/promptgate status production",
    ],
    [
      "near-miss verb glued to nothing",
      "/roll-back production",
      /not a promptgate command/,
      "/rollback",
    ],
    [
      "missing to keeps the reason",
      '/rollback production v3 --reason "bad answers"',
      /`v3` is a version: write `to v3`/,
      '/rollback production to v3 --reason "bad answers"',
    ],
    [
      "missing to keeps every flag, in the order typed",
      "/rollback production support-answer v3 --reason “bad answers” --dry-run",
      /`v3` is a version/,
      '/rollback production support-answer to v3 --reason "bad answers" --dry-run',
    ],
    [
      "missing to re-quotes a reason with double quotes in it",
      "/rollback production v3 --dry-run --reason 'the \"fix\" broke it'",
      /`v3` is a version/,
      "/rollback production to v3 --dry-run --reason 'the \"fix\" broke it'",
    ],
    [
      "missing to before a commit",
      "/rollback production @abc1234",
      /`@abc1234` is a commit: write `to @abc1234`/,
      "/rollback production to @abc1234",
    ],
    [
      "missing to before a commit, after a prompt",
      "/rollback production support-answer @ABC1234 --dry-run",
      /`@ABC1234` is a commit: write `to @ABC1234`/,
      "/rollback production support-answer to @ABC1234 --dry-run",
    ],
    ["missing to before a short commit", "/rollback production @abc", /7 to 40 hex digits/],
    [
      "a version and a target",
      "/rollback production v3 to v2",
      /unexpected version `v3`: name one target, after `to`/,
    ],
    [
      "a version and a target, after a prompt",
      "/rollback production support-answer v3 to v2 --dry-run",
      /unexpected version `v3`: name one target, after `to`/,
    ],
    [
      "a commit and a target",
      "/rollback production @abc1234 to previous",
      /unexpected commit `@abc1234`: name one target, after `to`/,
    ],
    ["two versions", "/rollback production v3 v2", /unexpected version `v3`/],
    ["to without target", "/rollback production to", /`to` needs a target/],
    ["bad target", "/rollback production to v4!", /is not a version/],
    ["short sha", "/rollback production to @abc", /7 to 40 hex digits/],
    [
      "prompt disagrees",
      "/rollback production title to support-answer@v4",
      /`title` and the version `support-answer@v4` disagree/,
    ],
    ["unknown flag", "/rollback production --dryrun", /unknown option `--dryrun`/, "--dry-run"],
    ["single dash", "/rollback production -n", /unknown option `-n`/],
    [
      "flag of another verb",
      "/rollback production --traffic 5",
      /`--traffic` is not an option of `\/rollback`/,
    ],
    ["force on rollback", "/rollback production --force", /not an option/],
    ["duplicate flag", "/rollback production --dry-run --dry-run", /given twice/],
    ["flag with value", "/rollback production --dry-run=yes", /takes no value/],
    ["empty reason", '/rollback production --reason ""', /`--reason` is empty/],
    ["reason without value", "/rollback production --reason", /needs a value/],
    ["unterminated quote", '/rollback production --reason "oops', /unterminated quote/],
    ["promote without target", "/promote staging", /to which environment/],
    ["promote without to", "/promote staging canary", /expected `to <env>`/],
    ["promote to itself", "/promote canary to canary", /cannot be promoted to itself/],
    [
      "promote a version",
      "/promote staging to canary support-answer@v5",
      /name a prompt, not a version/,
    ],
    ["promote extra", "/promote staging to canary a b", /unexpected `b`/],
    ["traffic above 100", "/promote canary --traffic 150", /outside the range 0 to 100/],
    ["negative traffic", "/promote canary --traffic -5", /outside the range 0 to 100/],
    ["fractional traffic", "/promote canary --traffic 2.5", /not an integer/],
    ["traffic not a number", "/promote canary --traffic lots", /not a number/],
    ["traffic without value", "/promote canary --traffic", /needs a value/],
    [
      "traffic on production",
      "/promote canary to production --traffic 10",
      /only for canary.*sets canary traffic to 0/,
    ],
    ["traffic on staging", "/promote staging --traffic 10", /only for canary/],
    ["traffic to non-canary", "/promote staging to production --traffic 10", /only for canary/],
    [
      "force on the ramp",
      "/promote canary --traffic 10 --force",
      /not an option of a canary traffic change/,
    ],
    [
      "unknown subcommand",
      "/promptgate stauts",
      /`stauts` is not a `\/promptgate` command/,
      "/promptgate status",
    ],
    ["freeze without env", "/promptgate freeze", /name the environment to freeze/],
    ["unfreeze without env", "/promptgate unfreeze", /name the environment to unfreeze/],
    ["unfreeze with reason", '/promptgate unfreeze production --reason "x"', /not an option/],
    ["freeze dry run", "/promptgate freeze production --dry-run", /not an option/],
    ["status extra", "/promptgate status production canary", /unexpected `canary`/],
    ["help extra", "/promptgate help me", /unexpected `me`/],
  ];
  test.each(cases)("%s: %s", (_, body, message, suggestion) => {
    const parsed = parseCommand(body);
    expect(parsed.kind).toBe("invalid");
    if (parsed.kind !== "invalid") return;
    expect(parsed.message).toMatch(message);
    expect(parsed.suggestion).toBe(suggestion);
    expect(parsed.usage.length).toBeGreaterThan(0);
  });

  test("a suggested missing `to` is the command meant, reason and all", () => {
    const typed: [string, string][] = [
      [
        '/rollback production v3 --reason "bad answers"',
        '/rollback production to v3 --reason "bad answers"',
      ],
      [
        "/rollback production support-answer @abc1234 --reason 'the \"fix\" broke it' --dry-run",
        "/rollback production support-answer to @abc1234 --reason 'the \"fix\" broke it' --dry-run",
      ],
      [
        '/rollback production v3 --reason ‘the "fix" broke it’',
        "/rollback production to v3 --reason 'the \"fix\" broke it'",
      ],
      ['/rollback production v3 --reason="don\'t"', '/rollback production to v3 --reason="don\'t"'],
    ];
    for (const [body, meant] of typed) {
      const parsed = parseCommand(body);
      if (parsed.kind !== "invalid" || parsed.suggestion === undefined) {
        throw new Error(`no suggestion for ${body}`);
      }
      expect(parseCommand(parsed.suggestion)).toEqual(parseCommand(meant));
      expect(parseCommand(meant)).toMatchObject({ kind: "rollback", reason: expect.any(String) });
    }
  });

  test("environment names are understood whatever their case: they can only be lowercase", () => {
    expect(parseCommand("/rollback PRODUCTION")).toEqual(parseCommand("/rollback production"));
    expect(parseCommand("/rollback Production to v3")).toEqual(
      parseCommand("/rollback production to v3"),
    );
    expect(parseCommand("/promote Canary to PRODUCTION")).toEqual(
      parseCommand("/promote canary to production"),
    );
    expect(parseCommand("/promptgate freeze Production")).toEqual(
      parseCommand("/promptgate freeze production"),
    );
    // Only the case: anything else is still refused, never guessed.
    expect(parseCommand("/rollback PRODUCTION!")).toMatchObject({ kind: "invalid" });
  });

  test("usage is the grammar of the verb", () => {
    const r = parseCommand("/rolback production");
    expect(r).toMatchObject({ kind: "invalid", usage: USAGE.rollback });
    const p = parseCommand("/promote canary --traffic 101");
    expect(p).toMatchObject({ kind: "invalid", usage: USAGE.promote });
    expect(USAGE.promote).toContain("/promote canary --traffic N");
  });

  test("text after the first line never changes the command", () => {
    expect(parseCommand("/rollback production\n--force\nto v1")).toEqual(
      parseCommand("/rollback production"),
    );
    expect(parseCommand("/rolback production\n/rollback production")).toMatchObject({
      kind: "invalid",
    });
  });
});
