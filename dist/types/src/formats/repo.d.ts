import { type Environment, type Environments } from "./environments.js";
import { type GoldenSet } from "./golden-set.js";
import { type Locator } from "./located-yaml.js";
import { type PromptVersion } from "./prompt-file.js";
import { type Settings } from "./settings.js";
/**
 * Read access to one revision of a repository: the working tree, or a git commit.
 * Paths are POSIX and relative to the repository root.
 */
export interface FileSource {
    /** A short name for messages: "worktree", or an abbreviated sha. */
    readonly label: string;
    read(path: string): Promise<string | undefined>;
    /** Every file below `dir`, recursively, as paths relative to the root. */
    list(dir: string): Promise<string[]>;
}
export interface LoadedGoldenSet {
    prompt: string;
    file: string;
    set: GoldenSet;
    /** Where a path of the set stands in its file (`["cases", 0, "assert", 1]`), when loaded from one. */
    locator?: Locator;
}
export interface Repo {
    source: FileSource;
    settings: Settings;
    environments: Environments | undefined;
    /** prompt → versions in natural order. */
    prompts: Map<string, PromptVersion[]>;
    goldenSets: Map<string, LoadedGoldenSet>;
    /** `judge.prompt` of promptgate.yaml, read from this revision; absent: promptgate's own. */
    judgePrompt?: PromptVersion;
}
/**
 * Loads and validates every file promptgate reads, collecting all located errors before
 * throwing so `promptgate validate` can report them in one pass.
 */
export interface LoadOptions {
    /**
     * Check that names in one file exist in another (a `freezes:` entry, `baseline`, `traffic:`
     * keys…), and report files of the prompts and evals folders whose names look meant to be read
     * but are not (`v9.promt`): on for what a change brings, off for a base revision or a running
     * app, which an upgrade of promptgate must not stop for a typo it could not report before.
     * Default true.
     */
    checkReferences?: boolean;
}
export declare function loadRepo(source: FileSource, options?: LoadOptions): Promise<Repo>;
interface Misnamed {
    message: string;
    more: {
        location: {
            file: string;
        };
        hint: string;
    };
}
/** `rel` is a file's path below the prompts folder `dir`, one that loading does not read. */
export declare function misnamedPromptFile(rel: string, dir: string): Misnamed | undefined;
/** `rel` is a file's path below the evals folder `dir`, one that loading does not read. */
export declare function misnamedGoldenSet(rel: string, dir: string): Misnamed | undefined;
export declare function findVersion(repo: Repo, prompt: string, version: string): PromptVersion | undefined;
export declare function latestVersion(repo: Repo, prompt: string): PromptVersion | undefined;
/**
 * A run where promptgate.yaml is not must fail, not pass: a wrong `--root` or `working-directory`
 * otherwise finds no prompts, evaluates nothing, and reports a green check ("ok: 0 prompts", "$0").
 * `folder` is where the edge looked, as the user would find it (a path, "the worktree").
 */
export declare function requireSettingsFile(source: FileSource, folder: string): Promise<void>;
/** The environment `name` of environments.yaml; an unknown name is an error with the names there are. */
export declare function requireEnvironment(repo: Repo, name: string): Environment;
export {};
