import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRestClient, type GitHubRequest } from "../../../../src/io/github/client.js";
import {
  closeMarkedIssue,
  findMarkedIssue,
  openOrUpdateMarkedIssue,
} from "../../../../src/io/github/issues.js";
import { type GitHubStandIn, startGitHubStandIn } from "../../../support/stand-ins/github/index.js";

/** The marked-issue functions against the GitHub stand-in (real REST, validated). */
let gh: GitHubStandIn;
let client: GitHubRequest;
const LABEL = "promptgate-drift";
const MARKER = "<!-- promptgate-drift production/support-answer -->";

beforeAll(async () => {
  gh = await startGitHubStandIn();
  client = createRestClient(gh.githubToken, gh.url, { retries: 0 });
});
afterAll(async () => {
  await gh.close();
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
});

describe("marked issues", () => {
  it("opens once, then updates; a person's issue with the same marker is not ours", async () => {
    await gh.createRepo("acme", "one", { "README.md": "x\n" });
    const repo = { owner: "acme", repo: "one" };
    gh.createIssue("acme", "one", { title: "pasted", body: `${MARKER}\nby hand`, user: "mona" });
    const first = await openOrUpdateMarkedIssue(client, repo, {
      label: LABEL,
      marker: MARKER,
      title: "t1",
      body: `${MARKER}\nfirst`,
    });
    expect(first.created).toBe(true);
    const second = await openOrUpdateMarkedIssue(client, repo, {
      label: LABEL,
      marker: MARKER,
      title: "t2",
      body: `${MARKER}\nsecond`,
    });
    expect(second).toMatchObject({ number: first.number, created: false });
    const ours = gh.issues("acme", "one").filter((i) => i.user === "github-actions[bot]");
    expect(ours.map((i) => [i.title, i.body, i.state])).toEqual([
      ["t2", `${MARKER}\nsecond`, "open"],
    ]);
    // Another subject's marker is another issue.
    expect(
      await findMarkedIssue(client, repo, {
        label: LABEL,
        marker: "<!-- promptgate-drift x/y -->",
      }),
    ).toBeUndefined();
  });

  it("a run that created a younger duplicate closes it and writes into the older", async () => {
    await gh.createRepo("acme", "race", { "README.md": "x\n" });
    const repo = { owner: "acme", repo: "race" };
    // The other run creates its issue right after this run looked and found none: exactly the
    // window two checks at once share.
    let raced = false;
    const racing: GitHubRequest = {
      request: (async (route: string, params?: Record<string, unknown>) => {
        if (!raced && route === "POST /repos/{owner}/{repo}/issues") {
          raced = true;
          await openOrUpdateMarkedIssue(client, repo, {
            label: LABEL,
            marker: MARKER,
            title: "other run",
            body: `${MARKER}\nother`,
          });
        }
        return client.request(route as never, params as never);
      }) as unknown as GitHubRequest["request"],
    };
    const result = await openOrUpdateMarkedIssue(racing, repo, {
      label: LABEL,
      marker: MARKER,
      title: "this run",
      body: `${MARKER}\nthis`,
    });
    expect(raced).toBe(true);
    const issues = gh.issues("acme", "race");
    expect(issues.map((i) => [i.number, i.state, i.title])).toEqual([
      [1, "open", "this run"],
      [2, "closed", "this run"],
    ]);
    expect(issues[1]?.stateReason).toBe("not_planned");
    expect(result).toMatchObject({ number: 1, created: false });
    expect(gh.comments("acme", "race", 2).map((c) => c.body)).toEqual([
      "Duplicate of #1: another check opened it at the same time.",
    ]);
  });

  it("closes with a comment, and does nothing when none is open", async () => {
    await gh.createRepo("acme", "close", { "README.md": "x\n" });
    const repo = { owner: "acme", repo: "close" };
    const query = { label: LABEL, marker: MARKER };
    expect(await closeMarkedIssue(client, repo, { ...query, comment: "back" })).toBeNull();
    const opened = await openOrUpdateMarkedIssue(client, repo, {
      ...query,
      title: "t",
      body: `${MARKER}\nb`,
    });
    const closed = await closeMarkedIssue(client, repo, { ...query, comment: "back" });
    expect(closed?.number).toBe(opened.number);
    expect(gh.issues("acme", "close")[0]?.state).toBe("closed");
    expect(gh.comments("acme", "close", opened.number).map((c) => c.body)).toEqual(["back"]);
    expect(await findMarkedIssue(client, repo, query)).toBeUndefined();
  });
});
