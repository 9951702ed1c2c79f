/**
 * Recording a share of requests' vars for `promptgate shadow`: each recorded request becomes one
 * JSON line, the format `shadow --inputs` reads. Where lines go (a file, a log pipeline) is the
 * application's: this only decides which requests are recorded and what a line is.
 */
export interface InputRecorderOptions {
    /** The share of requests recorded, 0 to 1 (0.01: one in a hundred). */
    rate: number;
    /** Receives one line, newline included. */
    write: (line: string) => void;
    /** Uniform in [0, 1); default Math.random. */
    random?: () => number;
    /** A line that could not be made or written; recording never fails the request it watches. */
    onError?: (error: unknown) => void;
}
/** Returns `record(vars)`, true when these vars were written. */
export declare function createInputRecorder(options: InputRecorderOptions): (vars: Record<string, unknown>) => boolean;
