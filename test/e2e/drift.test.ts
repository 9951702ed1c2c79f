import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { driftIssueMarker } from "../../src/report/drift-issue.js";
import { CASES, driftResponder, FILES, MODEL } from "../support/helpers/drift-fixture.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * `promptgate drift` through both stand-ins: the model behind production's pin gets worse with no
 * commit, and the check opens one issue, keeps it, and closes it once quality is back.
 */
let gh: GitHubStandIn;
let openai: OpenAIStandIn;
let root: string;
/** How many of the golden set's questions the model still answers well (the first N). */
let answeredWell = CASES;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  openai = await startOpenAIStandIn({
    validate: true,
    responder: driftResponder(() => answeredWell),
  });
  root = await mkdtemp(join(tmpdir(), "promptgate-drift-"));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
});
afterAll(async () => {
  await gh.close();
  await openai.close();
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
  expect(openai.violations).toEqual([]);
});

function drift(args: string[]) {
  return runCliCaptured(["drift", "--root", root, ...args], {
    cwd: root,
    env: {
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: "test",
      GITHUB_TOKEN: gh.githubToken,
      GITHUB_API_URL: gh.url,
      XDG_CACHE_HOME: join(root, ".xdg"),
    },
  });
}

const PRODUCTION = { environment: "production", prompt: "support-answer" };
const marked = (owner: string, name: string) =>
  gh.issues(owner, name).filter((i) => i.body?.startsWith(driftIssueMarker(PRODUCTION)));
const RUN_URL = "https://github.com/acme/prompts/actions/runs/7";

describe("promptgate drift on GitHub", () => {
  it("records a baseline, stays quiet while steady, opens one issue on a drop, updates it, and closes it on recovery", async () => {
    await gh.createRepo("acme", "prompts", FILES);
    const args = ["--repository", "acme/prompts", "--run-url", RUN_URL];

    answeredWell = CASES;
    const first = await drift(args);
    expect(first.err).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.out).toContain("production support-answer@v1 gpt-4o-mini-2024-07-18: recorded");
    const record = JSON.parse(
      (await gh.readFile(
        "acme",
        "prompts",
        "drift/production/support-answer.json",
        "promptgate-records",
      )) ?? "{}",
    );
    expect(record).toMatchObject({
      environment: "production",
      prompt: "support-answer",
      version: "v1",
      model: MODEL,
    });
    // The records branch shares no history with the code.
    expect(
      await gh.readFile("acme", "prompts", "promptgate.yaml", "promptgate-records"),
    ).toBeUndefined();
    expect(marked("acme", "prompts")).toEqual([]);

    // No drop: nothing opened.
    const steady = await drift(args);
    expect(steady.code).toBe(0);
    expect(steady.out).toContain(": steady: 100.0% → 100.0% (±0.0 pts");
    expect(gh.issues("acme", "prompts")).toEqual([]);

    // The model behind the same pin now fails half the golden set.
    answeredWell = CASES / 2;
    const drop = await drift(args);
    expect(drop.code).toBe(1);
    expect(drop.err).toContain("dropped: production/support-answer");
    const opened = marked("acme", "prompts");
    expect(opened).toHaveLength(1);
    const issue = opened[0];
    expect(issue).toMatchObject({
      state: "open",
      labels: ["promptgate-drift"],
      user: "github-actions[bot]",
    });
    expect(issue?.title).toBe(
      "Quality drift: support-answer in production (v1 on gpt-4o-mini-2024-07-18)",
    );
    const body = issue?.body ?? "";
    expect(body).toContain("−50.0 pts");
    expect(body).toContain("| `q11` | 100.0% | 0.0% | −100.0 |");
    expect(body).toContain("`/rollback production support-answer`");
    expect(body).toContain(`[the run's report](${RUN_URL})`);
    expect(body).toMatch(/cost \$\d/);
    expect(drop.out).toContain(`issue #${issue?.number} opened`);

    // Still down: the same issue is rewritten, no second one.
    const again = await drift(args);
    expect(again.code).toBe(1);
    expect(marked("acme", "prompts")).toHaveLength(1);
    expect(again.out).toContain(`issue #${issue?.number} updated`);

    // Quality back: a comment, and the issue is closed.
    answeredWell = CASES;
    const back = await drift(args);
    expect(back.code).toBe(0);
    const closed = marked("acme", "prompts");
    expect(closed).toHaveLength(1);
    expect(closed[0]?.state).toBe("closed");
    const comments = gh.comments("acme", "prompts", issue?.number ?? 0);
    expect(comments.map((c) => c.body).join("\n")).toContain(
      "Quality is back: 100.0% against the recorded 100.0%",
    );
    expect(back.out).toContain(`issue #${issue?.number} closed`);

    // And a later steady run touches nothing.
    const quiet = await drift(args);
    expect(quiet.code).toBe(0);
    expect(gh.comments("acme", "prompts", issue?.number ?? 0)).toHaveLength(comments.length);
    expect(gh.issues("acme", "prompts")).toHaveLength(1);
  });

  it("two drift runs at once record one baseline and open one issue", async () => {
    await gh.createRepo("acme", "race", FILES);
    const args = ["--repository", "acme/race"];
    answeredWell = CASES;
    // Two first runs at once: the records branch's compare-and-swap lets one record the pin;
    // the other, refused, reads that record and compares with it.
    const firsts = await Promise.all([drift(args), drift(args)]);
    expect(firsts.map((r) => r.code)).toEqual([0, 0]);
    expect(firsts.filter((r) => r.out.includes(": recorded (first run)"))).toHaveLength(1);
    expect(firsts.filter((r) => r.out.includes(": steady"))).toHaveLength(1);

    answeredWell = CASES / 2;
    // Slow the creation so both runs have looked for the issue before either has made it.
    gh.setFaults([
      { kind: "delay", ms: 300, method: "POST", path: /^\/repos\/acme\/race\/issues$/ },
    ]);
    try {
      const [a, b] = await Promise.all([drift(args), drift(args)]);
      expect([a.code, b.code]).toEqual([1, 1]);
    } finally {
      gh.setFaults([]);
    }
    const issues = marked("acme", "race");
    expect(issues.filter((i) => i.state === "open")).toHaveLength(1);
    // A younger duplicate, if the race made one, is closed and points at the one kept.
    const kept = issues.find((i) => i.state === "open");
    for (const dup of issues.filter((i) => i.state === "closed")) {
      expect(dup.number).toBeGreaterThan(kept?.number ?? 0);
      expect(gh.comments("acme", "race", dup.number).map((c) => c.body)).toEqual([
        `Duplicate of #${kept?.number}: another check opened it at the same time.`,
      ]);
    }
  });
});

describe("promptgate drift --record FILE", () => {
  it("records the first run in the file and exits 1 on a drop, opening nothing", async () => {
    const file = join(root, "records", "drift.json");
    answeredWell = CASES;
    const first = await drift(["--record", file]);
    expect(first.code).toBe(0);
    const saved = JSON.parse(await readFile(file, "utf8"));
    expect(Object.keys(saved.records)).toEqual(["production/support-answer"]);

    answeredWell = CASES / 2;
    const drop = await drift(["--record", file]);
    expect(drop.code).toBe(1);
    expect(drop.out).toMatch(/DROP: 100.0% → 50.0% \(−50.0 pts, 95% CI/);
    // The record stays the pin's first results: the drop does not become the new normal.
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(saved);

    // production now pins another model (a rollout): that pin is recorded, nothing is compared.
    const envFile = join(root, "environments.yaml");
    const pinned = await readFile(envFile, "utf8");
    await writeFile(envFile, pinned.replace(MODEL, "gpt-4.1-mini-2025-04-14"));
    try {
      const moved = await drift(["--record", file]);
      expect(moved.code).toBe(0);
      expect(moved.out).toContain(
        "production support-answer@v1 gpt-4.1-mini-2025-04-14: recorded (pin changed)",
      );
      const now = JSON.parse(await readFile(file, "utf8"));
      expect(now.records["production/support-answer"].model).toBe("gpt-4.1-mini-2025-04-14");
    } finally {
      await writeFile(envFile, pinned);
    }

    // An edited golden set measures something else: recorded again, not compared (no false drop).
    expect((await drift(["--record", file])).out).toContain(": recorded (pin changed)");
    const setFile = join(root, "evals", "support-answer.yaml");
    const cases = await readFile(setFile, "utf8");
    await writeFile(setFile, cases.replace('value: "resolved"', 'value: "resolved."'));
    try {
      const edited = await drift(["--record", file]);
      expect(edited.code).toBe(0);
      expect(edited.out).toContain(": recorded (golden set changed)");
    } finally {
      await writeFile(setFile, cases);
    }
  });

  it("needs exactly one place for its records", async () => {
    const none = await drift([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("--record FILE or --repository OWNER/NAME");
  });
});
