import { type FileSource } from "../formats/repo.js";
/**
 * The working tree on disk. Every read stays inside `root`, symlinks followed: the files are the
 * pull request's, and a link to /etc/passwd or ~/.ssh is as easy to commit as a prompt. Files
 * are refused over the size limit (before reading) and when they are not UTF-8.
 */
export declare function worktreeSource(root: string): FileSource;
export declare function git(cwd: string, args: string[]): Promise<string>;
/** The commit a ref names. `--end-of-options` keeps a ref that starts with "-" from being an option. */
export declare function revParse(root: string, ref: string): Promise<string>;
/**
 * One commit of a git repository, read with plumbing so the working tree is never touched. `root`
 * may be a subfolder of the repository (a monorepo's `llm/`): paths are relative to it, as the
 * working tree's are, and files outside it are not part of the source.
 */
export declare function gitRevisionSource(root: string, rev: string): Promise<FileSource>;
/**
 * Where `root` sits in its repository: "llm/" in a monorepo, "" at its top or in a bare one.
 * `<rev>:<path>` names a path from the repository's root whatever git's cwd, so in a subfolder
 * `sha:promptgate.yaml` misses `llm/promptgate.yaml`; our paths are relative to `root`, and this
 * goes in front of them. (`<rev>:./<path>` would do in a working tree, but git refuses it in a
 * bare repository, which a runtime source may read.)
 */
export declare function readRepoPrefix(root: string): Promise<string>;
/**
 * git runs in `root`: a folder that does not exist (a mistyped `working-directory`) would fail as a
 * git error, when what is wrong is where promptgate was pointed.
 */
export declare function requireFolder(root: string, folder: string): Promise<void>;
