/** Whether a model location is an http(s) URL (a served model) rather than a bundle directory. */
export const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\//i.test(s.trim());
