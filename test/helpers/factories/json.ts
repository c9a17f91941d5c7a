// What a server-side shape looks like once sent as JSON: its dates become ISO strings.
export type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
