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
/** One commit of a git repository, read with plumbing so the working tree is never touched. */
export declare function gitRevisionSource(root: string, rev: string): Promise<FileSource>;
/**
 * git runs in `root`: a folder that does not exist (a mistyped `working-directory`) would fail as a
 * git error, when what is wrong is where promptgate was pointed.
 */
export declare function requireFolder(root: string, folder: string): Promise<void>;
