import type { Pin } from "../formats/environments.js";
import { formatTrafficShare } from "../numbers.js";
import type { ChangeSet, EnvironmentChange, PlannedEvaluation } from "./change-types.js";

/** One-line texts for the report and the CLI, in the words the README uses. */

const REASONS: Record<PlannedEvaluation["reason"], string> = {
  "new-version": "new version",
  "edited-draft": "edited draft",
  "golden-set": "golden set changed",
  "new-prompt": "new prompt",
  "model-swap": "model swap",
};

/** "support-answer v4 (pinned in production) → v5: new version, golden set changed" */
export function describeEvaluation(plan: PlannedEvaluation): string {
  const why = [REASONS[plan.reason]];
  if (plan.goldenSetChanged && plan.reason !== "golden-set") why.push(REASONS["golden-set"]);
  const b = plan.base;
  let from = "(nothing to compare with)";
  if (b) {
    const origin =
      b.source === "baseline-pin"
        ? `pinned in ${b.env ?? "the baseline"}`
        : b.source === "base-rev"
          ? "as at base"
          : b.source === "latest-earlier"
            ? "latest earlier version"
            : "latest version";
    from = `${b.version} (${origin}${b.model ? `, model ${b.model}` : ""})`;
  }
  const to = plan.head.model
    ? `${plan.head.version} (model ${plan.head.model})`
    : plan.head.version;
  return `${plan.prompt} ${from} → ${to}: ${why.join(", ")}`;
}

/** "production: support-answer v4 → v5 (needs a passed gate)" */
export function describeEnvironmentChange(change: EnvironmentChange): string {
  switch (change.kind) {
    case "environment":
      return `${change.env}: environment ${change.change}`;
    case "traffic":
      return `${change.env}: traffic ${formatTrafficShare(change.before)} → ${formatTrafficShare(change.after)}`;
    case "freeze":
      return change.change === "frozen"
        ? `${change.env}: frozen by ${change.by ?? "someone"}${change.reason ? ` (${change.reason})` : ""}`
        : `${change.env}: unfrozen`;
    case "pin": {
      const gate = change.needsGate ? " (needs a passed gate)" : "";
      return `${change.env}: ${change.prompt} ${pinText(change.before)} → ${pinText(change.after)}${gate}`;
    }
  }
}

/** The whole change set as plain lines, errors first: what the CLI prints before evaluating. */
export function describeChangeSet(changes: ChangeSet): string[] {
  return [
    ...changes.errors.map((e) => `error ${e.code}: ${e.message}`),
    ...changes.evaluations.map((e) => `evaluate ${describeEvaluation(e)}`),
    ...changes.environmentChanges.map((c) => `deploy ${describeEnvironmentChange(c)}`),
    ...changes.notices.map((n) => `note: ${n.message}`),
  ];
}

function pinText(pin: Pin | null): string {
  if (!pin) return "(unpinned)";
  // A change of fallbacks alone must show in the line, or it would read "v2 → v2".
  const fallback = pin.fallback?.length
    ? `fallback ${pin.fallback.map((f) => (f["base-url"] ? `${f.model} at ${f["base-url"]}` : f.model)).join(", ")}`
    : "";
  const notes = [pin.model ?? "", fallback].filter(Boolean).join("; ");
  return notes ? `${pin.version} (${notes})` : pin.version;
}
