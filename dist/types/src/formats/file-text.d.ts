/**
 * The text of a file promptgate reads, from its bytes: refused when it is over the size limit or
 * not UTF-8. A lossy decode would turn a stray byte into U+FFFD, and a prompt would then send
 * (and a golden set compare against) text nobody wrote.
 */
export declare function decodeFileText(bytes: Uint8Array, file: string): string;
/** Refuses a file over the limit before it is read, when its size is known first. */
export declare function checkFileSize(bytes: number, file: string): void;
