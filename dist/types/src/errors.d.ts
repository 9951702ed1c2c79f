/**
 * Every failure a user can act on is a PromptgateError: a stable code for scripts and tests,
 * a message that names the file and position when there is one, and a hint saying what to do.
 */
export type ErrorCode = "E_YAML" | "E_SCHEMA" | "E_PROMPT" | "E_NOT_FOUND" | "E_LIVE_EDIT" | "E_GIT" | "E_CONFIG" | "E_USAGE" | "E_LLM" | "E_CONFLICT" | "E_LIMIT" | "E_LINT" | "E_ENCODING" | "E_IO";
export interface SourceLocation {
    file: string;
    line?: number;
    column?: number;
}
export declare class PromptgateError extends Error {
    readonly code: ErrorCode;
    readonly hint: string | undefined;
    readonly location: SourceLocation | undefined;
    constructor(code: ErrorCode, message: string, options?: {
        hint?: string;
        location?: SourceLocation;
        cause?: unknown;
    });
}
export declare function formatLocation(loc: SourceLocation): string;
/** Several located errors found in one pass (validate reports them all, not just the first). */
/** Errors in the order a reader fixes them: by file, then line, then column. */
export declare function compareByPlace(a: PromptgateError, b: PromptgateError): number;
export declare class PromptgateErrors extends Error {
    readonly errors: PromptgateError[];
    constructor(errors: PromptgateError[]);
}
/** Renders an error for a terminal or a log: message, then the hint on its own line. */
export declare function describeError(err: unknown): string;
