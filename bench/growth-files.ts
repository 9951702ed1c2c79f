// The growth benchmark's repository, one definition for the in-process worker (growth-worker.ts)
// and the CLI run (growth.ts): golden sets of PER_FILE cases, one prompt each, as a team with many
// prompts has (one file of 100,000 cases is over the 2 MB file limit).

export const PER_FILE = 1000;

export const GROWTH_PROMPT = `---\nmodel: gpt-4o-mini-2024-07-18\nconfig: { temperature: 0.2, maxOutputTokens: 100 }\n---\n{{role "system"}}\nAnswer briefly.\n{{role "user"}}\n{{question}}\n`;

/** The golden set of file `f` (cases `f × PER_FILE` up to `cases`), as YAML. */
export function growthGoldenSet(f: number, cases: number): string {
  const lines = ["cases:"];
  for (let i = f * PER_FILE; i < Math.min(cases, (f + 1) * PER_FILE); i++) {
    lines.push(`  - id: case-${i}`, `    vars: { question: "What is item ${i}?" }`, "    assert:");
    lines.push(
      `      - { type: icontains, value: "item ${i}" }`,
      `      - { type: regex, value: "\\\\d+" }`,
    );
  }
  return lines.join("\n");
}
