import type { FileSource } from "../formats/repo.js";
/** The working tree on disk. */
export declare function worktreeSource(root: string): FileSource;
export declare function git(cwd: string, args: string[]): Promise<string>;
/** One commit of a git repository, read with plumbing so the working tree is never touched. */
export declare function gitRevisionSource(root: string, rev: string): Promise<FileSource>;
