/** WeChat API error codes (`errcode`) shared by its callers here. */

/** The access token was rejected (revoked, expired early, issued to another instance): fetch a new one. */
export const TOKEN_REJECTED: ReadonlySet<number> = new Set([40001, 40014, 42001]);
