/** The time now; tests and the drill pass a clock they move themselves. */
export type Now = () => Date;

/** Injectable pause, so tests of polling loops run in no time. */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
